import { getAddress, type Address, type Hex, type PublicClient } from 'viem';
import type { GradnetChain, LedgerClient, RewardClaim } from '../../core/chain/index.ts';
import { GradnetError } from '../../core/errors.ts';
import { verifyRewardProof } from '../../core/rewards/index.ts';
import { sleep } from '../../core/time/index.ts';
import { fetchJson } from './http.ts';

/** What an owner has earned as of the latest committed round, checked against the chain. */
export interface RewardStatement {
  claim: RewardClaim & { cumulativeSamples: bigint; cumulativeRounds: bigint };
  rewardsRoot: Hex;
  /** Already paid out by the vault. */
  claimed: bigint;
  /** cumulativeReward - claimed. */
  claimable: bigint;
}

interface ApiRewards {
  owner: string;
  roundId: number;
  rewardsRoot: Hex;
  cumulativeReward: string;
  cumulativeSamples: string;
  cumulativeRounds: string;
  proof: Hex[];
}

/**
 * The owner's cumulative rewards leaf and proof from the coordinator's API, accepted only when
 * the proof verifies against the rewards root the ledger holds for that round: the coordinator
 * is not trusted for the figures.
 */
export async function fetchRewardStatement(chain: GradnetChain, coordinatorUrl: string, owner: Address, signal?: AbortSignal): Promise<RewardStatement> {
  const body = (await fetchJson(`${coordinatorUrl.replace(/\/$/, '')}/rewards/${owner}`, { signal })) as ApiRewards;
  const claim = {
    roundId: body.roundId,
    owner: getAddress(body.owner),
    cumulativeReward: BigInt(body.cumulativeReward),
    cumulativeSamples: BigInt(body.cumulativeSamples),
    cumulativeRounds: BigInt(body.cumulativeRounds),
    proof: body.proof,
  };
  if (claim.owner !== getAddress(owner)) throw new GradnetError('REWARD_PROOF_INVALID', `the coordinator answered for ${claim.owner} when asked for ${owner}`);
  const root = await chain.ledger.rewardsRootOf(claim.roundId);
  if (root.toLowerCase() !== body.rewardsRoot.toLowerCase() || !verifyRewardProof(root, claim)) {
    throw new GradnetError('REWARD_PROOF_INVALID', `the coordinator's proof for ${owner} does not verify against round ${claim.roundId}'s rewards root ${root} on chain; do not claim with it, and report the coordinator`);
  }
  const claimed = (await chain.vault.claimed(claim.owner)).reward;
  return { claim, rewardsRoot: root, claimed, claimable: claim.cumulativeReward > claimed ? claim.cumulativeReward - claimed : 0n };
}

/**
 * When round `roundId`'s rewards become claimable: unix seconds at which its challenge window
 * ends (RewardVault pays only against final rounds), or null when it is final already.
 */
export async function finalAt(ledger: Pick<LedgerClient, 'challengeWindow' | 'committedAt' | 'isFinal'>, roundId: number, signal?: AbortSignal): Promise<{ at: number; windowSeconds: number } | null> {
  if (await ledger.isFinal(roundId, { signal })) return null;
  const [windowSeconds, committedAt] = await Promise.all([ledger.challengeWindow({ signal }), ledger.committedAt(roundId, { signal })]);
  return { at: committedAt + windowSeconds, windowSeconds };
}

/**
 * Waits until round `roundId` is final (`say` tells for how long first), by the chain's clock:
 * a devnet that mines every second can run ahead of the wall clock. A chain that mines only per
 * transaction keeps an idle block's old time instead; once the wall clock is past the window the
 * claim's own block, stamped with the time it is mined, finds the round final.
 */
export async function waitUntilFinal(
  chain: { ledger: Pick<LedgerClient, 'challengeWindow' | 'committedAt' | 'isFinal'>; publicClient: Pick<PublicClient, 'getBlock'> },
  roundId: number,
  options: { say: (line: string) => void; signal?: AbortSignal },
): Promise<void> {
  const { ledger, publicClient } = chain;
  const pending = await finalAt(ledger, roundId, options.signal);
  if (pending === null) return;
  const chainNow = Number((await publicClient.getBlock({ blockTag: 'latest' })).timestamp);
  options.say(`waiting about ${Math.max(1, pending.at - chainNow)} s for round ${roundId} to become final (its ${pending.windowSeconds} s challenge window) before claiming`);
  while (!(await ledger.isFinal(roundId, { signal: options.signal })) && pending.at * 1000 > Date.now()) await sleep(500, options.signal);
}
