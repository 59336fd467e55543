import { getAddress, type Address, type Hex } from 'viem';
import type { GradnetChain, RewardClaim } from '../../core/chain/index.ts';
import { GradnetError } from '../../core/errors.ts';
import { verifyRewardProof } from '../../core/rewards/index.ts';
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
