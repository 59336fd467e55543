// How the page writes numbers, amounts, hashes and times.

const WEI_PER_GRAD = 10n ** 18n;

/** Wei (a decimal string) as GRAD with up to `digits` decimals, e.g. "12.3456 GRAD". */
export function grad(wei: string | null, digits = 4): string {
  if (wei === null) return '—';
  const value = BigInt(wei);
  const whole = value / WEI_PER_GRAD;
  const fraction = (value % WEI_PER_GRAD).toString().padStart(18, '0').slice(0, digits).replace(/0+$/, '');
  return `${whole.toLocaleString('en')}${fraction ? `.${fraction}` : ''} GRAD`;
}

/** A ledger fixed-point figure (1e6) as a percentage. */
export function percent(fixed: number): string {
  return `${(fixed / 1e4).toFixed(2)}%`;
}

/** A ledger fixed-point figure (1e6) as a plain number. */
export function fixed(value: number, digits = 4): string {
  return (value / 1e6).toFixed(digits);
}

/** 0x1234…abcd: enough to tell hashes apart on a phone; the full value goes in a title. */
export function short(hex: string | null): string {
  if (hex === null) return '—';
  return hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : hex;
}

/** "1 commit", "2 commits". */
export function plural(value: number, noun: string): string {
  return `${value.toLocaleString('en')} ${noun}${value === 1 ? '' : 's'}`;
}

export function count(value: number | null): string {
  return value === null ? '—' : value.toLocaleString('en');
}

/** "12 s ago", "3 min ago", "2 h ago" (relative to `nowMs`). */
export function ago(ms: number | null, nowMs: number): string {
  if (ms === null) return 'never';
  const seconds = Math.max(0, Math.round((nowMs - ms) / 1000));
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 48 * 3600) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}

/** An ISO-like local time for tables: 2026-11-29 08:41:46. */
export function time(ms: number): string {
  const date = new Date(ms);
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
