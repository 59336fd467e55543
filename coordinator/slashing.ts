import type { Hex } from 'viem';
import { RpcUnreachableError, type RegistryClient } from '../core/chain/index.ts';
import { errorMessage } from '../core/errors.ts';
import { decodeUpdate } from '../core/protocol/index.ts';
import { retryWithBackoff, type BackoffOptions } from '../core/time/index.ts';
import type { CoordinatorStore, EquivocationRow } from './store.ts';

export interface SlashOutcome {
  nodeKey: Hex;
  evidenceHash: Hex;
  status: 'slashed' | 'failed';
  txHash?: Hex;
  error?: string;
}

/**
 * Proves equivocation on chain, one transaction per piece of evidence, in the order found: the
 * two signed updates go to `NodeRegistry.slashEquivocation`, which checks both signatures, takes
 * the node's stake and pays this coordinator the reporter's bounty. The evidence is in the store
 * first (status `pending`), so a crash before the transaction only delays it: `drain` on the next
 * start sends what is still pending. RPC failures are retried with backoff; a revert (already
 * slashed, nothing left, evidence the registry refuses) is final and kept as `failed`.
 */
export class Slasher {
  private readonly store: CoordinatorStore;
  private readonly writer: Pick<RegistryClient, 'slashEquivocation'>;
  private readonly backoff: BackoffOptions;
  private running: Promise<void> = Promise.resolve();

  constructor(options: { store: CoordinatorStore; writer: Pick<RegistryClient, 'slashEquivocation'>; backoff: BackoffOptions }) {
    this.store = options.store;
    this.writer = options.writer;
    this.backoff = options.backoff;
  }

  /**
   * Sends every pending slash, one after another (calls queue up behind a running drain).
   * Resolves with what happened to each; rejects only if the signal aborts or the store fails.
   */
  drain(signal: AbortSignal): Promise<SlashOutcome[]> {
    const outcomes: SlashOutcome[] = [];
    const next = this.running.then(async () => {
      for (const evidence of this.store.listEquivocations('pending')) {
        outcomes.push(await this.slashOne(evidence, signal));
      }
    });
    this.running = next.catch(() => undefined);
    return next.then(() => outcomes);
  }

  private async slashOne(evidence: EquivocationRow, signal: AbortSignal): Promise<SlashOutcome> {
    const { nodeKey, evidenceHash } = evidence;
    let outcome: SlashOutcome;
    try {
      const first = decodeUpdate(evidence.first);
      const second = decodeUpdate(evidence.second);
      const sent = await retryWithBackoff(() => this.writer.slashEquivocation(first, second, { signal }), {
        ...this.backoff,
        signal,
        isRetryable: (error) => error instanceof RpcUnreachableError,
      });
      outcome = { nodeKey, evidenceHash, status: 'slashed', txHash: sent.hash };
    } catch (error) {
      if (signal.aborted) throw error;
      outcome = { nodeKey, evidenceHash, status: 'failed', error: errorMessage(error) };
    }
    this.store.markSlash(evidenceHash, outcome);
    return outcome;
  }
}
