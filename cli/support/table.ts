import Table from 'cli-table3';
import { fromFixedPoint } from '../../core/units/index.ts';

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  align?: 'left' | 'right';
}

/** A plain table for a terminal: one header row, right-aligned numbers, no colours. */
export function renderTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const table = new Table({
    head: columns.map((column) => column.header),
    colAligns: columns.map((column) => column.align ?? 'left'),
    style: { head: [], border: [], compact: true },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of rows) table.push(columns.map((column) => column.value(row)));
  return table.toString();
}

/** `0x1234…abcd`: enough of a hash or address to tell rows apart. */
export function shortHex(hex: string, keep = 6): string {
  return hex.length <= 2 + 2 * keep ? hex : `${hex.slice(0, 2 + keep)}…${hex.slice(-4)}`;
}

/** A token amount in wei as a decimal with at most `decimals` fraction digits. */
export function formatTokens(wei: bigint, decimals = 4): string {
  const negative = wei < 0n;
  const abs = negative ? -wei : wei;
  const whole = abs / 10n ** 18n;
  const fraction = (abs % 10n ** 18n).toString().padStart(18, '0').slice(0, decimals).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}

/** A 1e6 fixed-point figure (loss, accuracy on chain) as a decimal. */
export function formatFixed6(value: bigint | number, digits = 4): string {
  return fromFixedPoint(value).toFixed(digits);
}

/** JSON with bigints as decimal strings: what every `--json` output prints. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item), 2);
}
