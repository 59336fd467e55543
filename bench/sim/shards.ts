import { SimulationError } from './errors.ts';

/** How the training split is cut among the simulated peers: IID, or label-skewed by Dir(alpha). */
export type ShardLayout = { scheme: 'iid' } | { scheme: 'dirichlet'; alpha: number };

export const IID_SHARDS: ShardLayout = { scheme: 'iid' };

/** Reads `iid` or `dirichlet:ALPHA` (ALPHA a positive number; smaller means more skewed shards). */
export function parseShardLayout(text: string): ShardLayout {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === 'iid') return IID_SHARDS;
  const match = /^dirichlet:(.+)$/.exec(trimmed);
  const alpha = match ? Number(match[1]) : Number.NaN;
  if (!(alpha > 0) || !Number.isFinite(alpha)) {
    throw new SimulationError(`shards "${text}" is neither iid nor dirichlet:ALPHA with ALPHA a positive number (e.g. dirichlet:0.5)`, text);
  }
  return { scheme: 'dirichlet', alpha };
}

/** The layout as `parseShardLayout` reads it back: `iid` or `dirichlet:0.5`. */
export function formatShardLayout(layout: ShardLayout): string {
  return layout.scheme === 'iid' ? 'iid' : `dirichlet:${layout.alpha}`;
}
