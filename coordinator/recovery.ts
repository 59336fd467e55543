import type { Hex } from 'viem';
import type { StructuredLogger } from '../core/log/index.ts';
import type { RoundCheckpoints, RoundEvent, RoundJournal, RoundLedger } from '../core/round/index.ts';
import type { Clock } from '../core/time/index.ts';
import { ChainStateError } from './errors.ts';

/** How long a restart waits at least for its own transactions sent before the crash. */
const PENDING_WAIT_MIN_MS = 30_000;
const PENDING_POLL_MS = 250;

/**
 * A transaction of ours sent before a crash (or a commit attempt that timed out) may still be
 * pending; deciding what to commit before it lands could send a second, doomed one. Waits until
 * none is pending, for at most max(30 s, `retryMaxMs`).
 */
export async function waitForOwnPendingTransactions(ports: {
  ledger: Pick<RoundLedger<unknown>, 'pendingTransactionCount'>;
  clock: Clock;
  logger: StructuredLogger;
  retryMaxMs: number;
  signal: AbortSignal;
}): Promise<void> {
  const { ledger, clock, logger, signal } = ports;
  const until = clock.now() + Math.max(PENDING_WAIT_MIN_MS, ports.retryMaxMs);
  for (;;) {
    const pending = await ledger.pendingTransactionCount();
    if (pending <= 0 || clock.now() >= until) return;
    logger.info({ pending }, 'waiting for transactions sent before the restart to be mined');
    await clock.sleep(PENDING_POLL_MS, signal);
  }
}

/**
 * Where to resume, from the chain (the truth for committed rounds) and the journal: an
 * aggregated round not known committed is committed (the commit checks the chain first);
 * an open round on the chain's latest model resumes in the stage it was in (taking commitments,
 * or revealed) with the commitments and updates the journal kept;
 * otherwise the next round opens on the chain's latest model. A journal ahead of the chain
 * (the chain was reset, or is another deployment) is refused with a ChainStateError.
 */
export async function recover(ports: {
  ledger: Pick<RoundLedger<unknown>, 'roundCount' | 'latestModelHash'>;
  journal: RoundJournal;
  checkpoints: RoundCheckpoints;
  clock: Clock;
  logger: StructuredLogger;
}): Promise<RoundEvent> {
  const { ledger, journal, checkpoints, logger } = ports;
  const onChain = await ledger.roundCount();
  const latestHash = await ledger.latestModelHash();
  const now = ports.clock.now();
  const last = journal.latestRound();
  if (last && (last.state === 'aggregated' || last.state === 'committing')) {
    if (last.round !== onChain && last.round !== onChain + 1) {
      throw new ChainStateError(`the database has round ${last.round} ready to commit but the chain has ${onChain} rounds; use a fresh data directory for this chain`, { round: last.round, onChain });
    }
    logger.info({ round: last.round, state: last.state, onChain }, 'resuming the commit of an aggregated round');
    return { type: 'resumeCommit', now, round: last.round, baseHash: last.baseHash, modelHash: last.modelHash as Hex };
  }
  if (last && last.round > onChain + 1) {
    throw new ChainStateError(`the database is at round ${last.round} but the chain has only ${onChain} rounds; the chain was reset, use a fresh data directory`, { round: last.round, onChain });
  }
  if (!(await checkpoints.has(latestHash))) {
    throw new ChainStateError(`the chain's latest model ${latestHash} (round ${onChain}) is not in ${checkpoints.dir}; restore this coordinator's data directory`, { latestHash, onChain });
  }
  // Rounds the chain holds but the journal still calls open or committing were committed
  // before the crash: record that.
  for (const row of journal.listRounds({ limit: 10, before: onChain + 1 })) {
    if (row.state !== 'committed' && row.modelHash !== undefined) journal.markCommitted(row.round, null, now);
  }
  const round = onChain + 1;
  const open = journal.getRound(round);
  if (open && open.state === 'open' && open.baseHash.toLowerCase() === latestHash.toLowerCase()) {
    const commitments = journal.acceptedCommitments(round);
    const accepted = journal.acceptedUpdates(round).map((row) => ({ nodeKey: row.nodeKey, digest: row.digest }));
    logger.info({ round, commitments: commitments.length, accepted: accepted.length, revealed: open.revealedMs !== null }, 'resuming the open round with the commitments and updates the database kept');
    return { type: 'start', now, round, baseHash: latestHash, commitments, accepted, openedAt: open.openedMs, revealedAt: open.revealedMs };
  }
  return { type: 'start', now, round, baseHash: latestHash };
}
