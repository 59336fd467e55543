import type { Hex } from 'viem';
import { RpcUnreachableError, type RegistryClient, type RegistryReader } from '../core/chain/index.ts';
import { errorMessage } from '../core/errors.ts';
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
 * Slashes equivocating nodes, one transaction per piece of evidence, in the order found. The
 * evidence is in the store first (status `pending`), so a crash before the transaction only
 * delays it: `drain` on the next start sends what is still pending. RPC failures are retried
 * with backoff; a revert (stake already gone, role missing) is final and kept as `failed`.
 */
export class Slasher {
  private readonly store: CoordinatorStore;
  private readonly reader: Pick<RegistryReader, 'ownerOf' | 'nodeOf' | 'invalidate'>;
  private readonly writer: Pick<RegistryClient, 'slash'>;
  private readonly amount: bigint | undefined;
  private readonly backoff: BackoffOptions;
  private running: Promise<void> = Promise.resolve();

  constructor(options: {
    store: CoordinatorStore;
    reader: Pick<RegistryReader, 'ownerOf' | 'nodeOf' | 'invalidate'>;
    writer: Pick<RegistryClient, 'slash'>;
    /** Stake to take per offence; the whole stake when undefined. */
    amount: bigint | undefined;
    backoff: BackoffOptions;
  }) {
    this.store = options.store;
    this.reader = options.reader;
    this.writer = options.writer;
    this.amount = options.amount;
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
    let outcome: SlashOutcome;
    try {
      outcome = await retryWithBackoff(
        async () => {
          const owner = await this.reader.ownerOf(evidence.nodeKey);
          if (owner === undefined) return { nodeKey: evidence.nodeKey, evidenceHash: evidence.evidenceHash, status: 'failed', error: `${evidence.nodeKey} is not a registered node key` } as const;
          this.reader.invalidate();
          const stake = (await this.reader.nodeOf(owner)).stake;
          const amount = this.amount === undefined || this.amount > stake ? stake : this.amount;
          if (amount === 0n) return { nodeKey: evidence.nodeKey, evidenceHash: evidence.evidenceHash, status: 'failed', error: `owner ${owner} has no stake left to slash` } as const;
          const sent = await this.writer.slash(owner, amount, evidence.evidenceHash, { signal });
          return { nodeKey: evidence.nodeKey, evidenceHash: evidence.evidenceHash, status: 'slashed', txHash: sent.hash } as const;
        },
        { ...this.backoff, signal, isRetryable: (error) => error instanceof RpcUnreachableError },
      );
    } catch (error) {
      if (signal.aborted) throw error;
      outcome = { nodeKey: evidence.nodeKey, evidenceHash: evidence.evidenceHash, status: 'failed', error: errorMessage(error) };
    }
    this.store.markSlash(evidence.evidenceHash, outcome);
    return outcome;
  }
}
