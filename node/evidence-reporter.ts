import type { Address, Hex } from 'viem';
import {
  NoAccountError,
  RpcUnreachableError,
  TransactionTimeoutError,
  contractAt,
  slashedFor,
  type GradnetChain,
  type SignedUpdateEvidence,
} from '../core/chain/index.ts';
import { errorMessage } from '../core/errors.ts';
import type { StructuredLogger } from '../core/log/index.ts';
import { decodeUpdate, type EquivocationEvidence } from '../core/protocol/index.ts';
import { retryWithBackoff, type BackoffOptions } from '../core/time/index.ts';

/** What the reporter needs of the chain: the registry, written from the node key's own account. */
export interface EvidenceChain {
  /** Sends the proof (NodeRegistry.slashEquivocation) and waits for it to be mined. */
  slashEquivocation(first: SignedUpdateEvidence, second: SignedUpdateEvidence, options: { signal: AbortSignal }): Promise<{ hash: Hex }>;
  /** Whether the registry already slashed `nodeKey` for `round` (someone else may have proved it first). */
  slashedFor(nodeKey: Address, round: number, options: { signal: AbortSignal }): Promise<boolean>;
  /** The node key's ETH balance, in wei: what it has to pay gas with. */
  gasBalance(options: { signal: AbortSignal }): Promise<bigint>;
}

/** What became of one piece of evidence. */
export type EvidenceOutcome =
  | { status: 'slashed'; nodeKey: Address; round: number; txHash: Hex }
  | { status: 'already-slashed'; nodeKey: Address; round: number }
  | { status: 'failed'; nodeKey: Address; round: number; error: string };

export interface EvidenceReporterOptions {
  chain: EvidenceChain;
  /** This daemon's node key: evidence against it is left to the others (the daemon stops publishing on its own). */
  nodeKey: Address;
  logger: StructuredLogger;
  /** Waits between attempts while the RPC endpoint fails. */
  backoff: BackoffOptions;
  /** Offender-rounds remembered, so that each is reported once (the oldest are forgotten). Default 10,000. */
  remember?: number;
  onOutcome?: (outcome: EvidenceOutcome) => void;
}

/**
 * A peer that sees one node key sign two different updates for one round and base model proves
 * it on chain itself, from its node key's account: NodeRegistry.slashEquivocation checks both
 * signatures, takes the offender's stake and pays this node the reporter's bounty. Without this,
 * equivocation seen only by peers (not by the coordinator) had no consequence.
 *
 * Evidence comes from this daemon's gossip validator, which has recovered both signatures.
 * Each offender and round is reported once, one transaction at a time (one account, one nonce
 * sequence). Before each attempt the registry is asked whether the offender is slashed for that
 * round already: someone else proving it first is the expected race, logged and done with. RPC
 * failures are retried with backoff until `stop()`; a refusal by the contract is not retried.
 */
export class EvidenceReporter {
  private readonly options: EvidenceReporterOptions;
  private readonly lifetime = new AbortController();
  /** `nodeKey:round` of every offence already taken in (insertion order = age). */
  private readonly reported = new Set<string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(options: EvidenceReporterOptions) {
    this.options = options;
  }

  /** Takes evidence in (synchronously, from the validator's callback); the proof is sent in the background. */
  report(evidence: EquivocationEvidence): void {
    const { logger, nodeKey } = this.options;
    if (this.lifetime.signal.aborted) return;
    if (evidence.nodeKey.toLowerCase() === nodeKey.toLowerCase()) {
      logger.error({ nodeKey: evidence.nodeKey, round: evidence.round }, `this node key signed two different updates for round ${evidence.round}: another daemon runs with it; stop it (the other peers will prove it and take the stake)`);
      return;
    }
    const offence = `${evidence.nodeKey.toLowerCase()}:${evidence.round}`;
    if (this.reported.has(offence)) return;
    this.reported.add(offence);
    for (const old of this.reported) {
      if (this.reported.size <= (this.options.remember ?? 10_000)) break;
      this.reported.delete(old);
    }
    logger.warn({ nodeKey: evidence.nodeKey, round: evidence.round, evidenceHash: evidence.evidenceHash }, `equivocation by ${evidence.nodeKey} in round ${evidence.round}: proving it on chain`);
    // A proof that throws (it should not: the evidence decoded once already) must neither stop the
    // queue nor reach the process as an unhandled rejection.
    this.queue = this.queue
      .then(() => this.prove(evidence))
      .catch((error: unknown) => logger.error({ nodeKey: evidence.nodeKey, round: evidence.round, error: errorMessage(error) }, 'proving equivocation failed unexpectedly'));
  }

  /** Warns when the node key holds no ETH: it could not pay for a proof (an unreadable balance is no news). */
  async checkGas(): Promise<void> {
    const { chain, logger, nodeKey } = this.options;
    const balance = await chain.gasBalance({ signal: this.lifetime.signal }).catch(() => undefined);
    if (balance === 0n) logger.warn({ nodeKey }, `node key ${nodeKey} holds no ETH: it cannot pay for the equivocation proofs it finds (and earn their bounty); send it a little for gas`);
  }

  /** Stops retrying and waits for the proof in flight to settle; later evidence is ignored. */
  async stop(): Promise<void> {
    this.lifetime.abort(new Error('evidence reporter stopping'));
    await this.queue;
  }

  private async prove(evidence: EquivocationEvidence): Promise<void> {
    const { chain, logger, backoff } = this.options;
    const signal = this.lifetime.signal;
    if (signal.aborted) return;
    const { nodeKey, round } = evidence;
    const first = decodeUpdate(evidence.first);
    const second = decodeUpdate(evidence.second);
    let outcome: EvidenceOutcome;
    try {
      const sent = await retryWithBackoff(
        async () => ((await chain.slashedFor(nodeKey, round, { signal })) ? null : chain.slashEquivocation(first, second, { signal })),
        {
          ...backoff,
          signal,
          isRetryable: (error) => error instanceof RpcUnreachableError || error instanceof TransactionTimeoutError,
          onRetry: (error, attempt, delayMs) => logger.warn({ nodeKey, round, attempt, delayMs, error: errorMessage(error) }, 'proving equivocation failed on the RPC endpoint; retrying'),
        },
      );
      outcome = sent === null ? { status: 'already-slashed', nodeKey, round } : { status: 'slashed', nodeKey, round, txHash: sent.hash };
    } catch (error) {
      if (signal.aborted) return;
      outcome = (await this.slashedMeanwhile(nodeKey, round)) ? { status: 'already-slashed', nodeKey, round } : { status: 'failed', nodeKey, round, error: errorMessage(error) };
    }
    if (outcome.status === 'slashed') logger.info(outcome, `proved the equivocation of ${nodeKey} in round ${round} on chain; the registry took its stake and paid this node the bounty`);
    else if (outcome.status === 'already-slashed') logger.info(outcome, `${nodeKey} is already slashed for round ${round} (another reporter was first)`);
    else logger.warn(outcome, `could not prove the equivocation of ${nodeKey} in round ${round}: ${outcome.error} (does the node key hold ETH for gas?)`);
    this.options.onOutcome?.(outcome);
  }

  /** After a refusal: was it because someone else's proof landed first? (false when that cannot be told) */
  private async slashedMeanwhile(nodeKey: Address, round: number): Promise<boolean> {
    return this.options.chain.slashedFor(nodeKey, round, { signal: this.lifetime.signal }).catch(() => false);
  }
}

/** The reporter's chain port over core/chain, sending from the account `chain` was connected with (the node key). */
export function registryEvidenceChain(chain: GradnetChain): EvidenceChain {
  const registry = contractAt(chain.clients, 'NodeRegistry', chain.registryClient.address);
  return {
    slashEquivocation: (first, second, options) => chain.registryClient.slashEquivocation(first, second, options),
    slashedFor: (nodeKey, round, options) => slashedFor(registry, { nodeKey, round: BigInt(round), signal: options.signal }),
    gasBalance: async () => {
      const { account, publicClient } = chain.clients;
      if (account === undefined) throw new NoAccountError('NodeRegistry.slashEquivocation');
      return publicClient.getBalance({ address: account.address });
    },
  };
}
