import { isHex, type Address, type Hex } from 'viem';
import { claim, claimed, contractAt, totalPaid, type ActionOptions, type ClaimReturnType, type ContractAt } from './actions/index.ts';
import type { ChainClients } from './clients.ts';
import { ChainInputError } from './errors.ts';

/** A cumulative rewards leaf with its proof under round `roundId`'s rewards root. */
export interface RewardClaim {
  roundId: number;
  owner: Address;
  cumulativeReward: bigint;
  cumulativeSamples: bigint | number;
  cumulativeRounds: bigint | number;
  proof: readonly Hex[];
}

/** What the vault has paid to and recorded for an owner. */
export interface ClaimedFigures {
  reward: bigint;
  samples: bigint;
  rounds: bigint;
}

/** Claims on RewardVault. */
export class VaultClient {
  readonly address: Address;
  readonly #vault: ContractAt<'RewardVault'>;

  constructor(clients: ChainClients, address: Address) {
    this.address = address;
    this.#vault = contractAt(clients, 'RewardVault', address);
  }

  /**
   * Submits a claim (any account may; the payout goes to `reward.owner`) and returns what it paid.
   * The round must be final (else the contract reverts RoundNotFinal: wait out its challenge window).
   */
  async claim(reward: RewardClaim, options: ActionOptions = {}): Promise<ClaimReturnType> {
    if (!Number.isSafeInteger(reward.roundId) || reward.roundId < 1) throw new ChainInputError('a claim needs a committed round id (>= 1)', reward.roundId);
    for (const node of reward.proof) {
      if (!isHex(node, { strict: true }) || node.length !== 66) throw new ChainInputError('every proof element must be a 32-byte hex string', node);
    }
    return claim(this.#vault, {
      ...reward,
      roundId: BigInt(reward.roundId),
      cumulativeSamples: BigInt(reward.cumulativeSamples),
      cumulativeRounds: BigInt(reward.cumulativeRounds),
      signal: options.signal,
    });
  }

  /** Everything the vault has paid in claims (never above the final rounds' cumulative budget). */
  totalPaid(options: ActionOptions = {}): Promise<bigint> {
    return totalPaid(this.#vault, options);
  }

  claimed(owner: Address): Promise<ClaimedFigures> {
    return claimed(this.#vault, { owner });
  }
}
