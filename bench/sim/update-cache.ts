import type { Hex } from 'viem';
import type { LocalTrainingResult } from '../../core/ml/index.ts';

/**
 * Honest updates computed from one pinned model, shared between simulations.
 *
 * An honest peer's update depends only on the model it starts from, its shard and its training
 * seed (fixed per round and peer). Every cell of a benchmark grid starts from the same genesis
 * model, so their first-round honest updates are the same computation; after that the cells'
 * models differ and nothing is shared. Keying by model hash makes a wrong hit impossible.
 */
export class PinnedModelUpdateCache {
  readonly pinnedHash: Hex;
  private readonly results = new Map<string, LocalTrainingResult>();
  hits = 0;

  constructor(pinnedHash: Hex) {
    this.pinnedHash = pinnedHash;
  }

  get(model: Hex, round: number, peer: number): LocalTrainingResult | undefined {
    const result = model === this.pinnedHash ? this.results.get(`${round}/${peer}`) : undefined;
    if (result) this.hits++;
    // A copy of the delta, so a caller that changes it in place cannot corrupt later runs.
    return result && { ...result, delta: Float32Array.from(result.delta) };
  }

  set(model: Hex, round: number, peer: number, result: LocalTrainingResult): void {
    if (model === this.pinnedHash) this.results.set(`${round}/${peer}`, { ...result, delta: Float32Array.from(result.delta) });
  }
}
