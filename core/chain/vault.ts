import { isHex, parseEventLogs, type Address, type Hex } from 'viem';
import { rewardVaultAbi } from './abi/RewardVault.generated.ts';
import type { ChainClients } from './clients.ts';
import { ChainInputError } from './errors.ts';
import { readContract, writeContract, type ContractTarget, type SentTransaction } from './transactions.ts';

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
  readonly #target: ContractTarget;

  constructor(clients: ChainClients, address: Address) {
    this.address = address;
    this.#target = { clients, name: 'RewardVault', address, abi: rewardVaultAbi };
  }

  /** Submits a claim (any account may; the payout goes to `claim.owner`) and returns what it paid. */
  async claim(claim: RewardClaim, options: { signal?: AbortSignal } = {}): Promise<SentTransaction & { payout: bigint }> {
    if (!Number.isSafeInteger(claim.roundId) || claim.roundId < 1) throw new ChainInputError('a claim needs a committed round id (>= 1)', claim.roundId);
    for (const node of claim.proof) {
      if (!isHex(node, { strict: true }) || node.length !== 66) throw new ChainInputError('every proof element must be a 32-byte hex string', node);
    }
    const sent = await writeContract(
      this.#target,
      'claim',
      [BigInt(claim.roundId), claim.owner, claim.cumulativeReward, BigInt(claim.cumulativeSamples), BigInt(claim.cumulativeRounds), claim.proof],
      options,
    );
    const [event] = parseEventLogs({ abi: rewardVaultAbi, eventName: 'RewardClaimed', logs: sent.receipt.logs });
    return { ...sent, payout: event.args.payout };
  }

  claimed(owner: Address): Promise<ClaimedFigures> {
    return readContract<ClaimedFigures>(this.#target, 'claimed', [owner]);
  }
}
