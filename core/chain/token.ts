import type { Address } from 'viem';
import { gradTokenAbi } from './abi/GradToken.generated.ts';
import type { ChainClients } from './clients.ts';
import { readContract, writeContract, type ContractTarget, type SentTransaction } from './transactions.ts';

type Signal = { signal?: AbortSignal };

/** GradToken: balances, approvals, transfers and (for MINTER_ROLE holders) minting. */
export class TokenClient {
  readonly address: Address;
  readonly #target: ContractTarget;

  constructor(clients: ChainClients, address: Address) {
    this.address = address;
    this.#target = { clients, name: 'GradToken', address, abi: gradTokenAbi };
  }

  balanceOf(owner: Address): Promise<bigint> {
    return readContract<bigint>(this.#target, 'balanceOf', [owner]);
  }

  allowance(owner: Address, spender: Address): Promise<bigint> {
    return readContract<bigint>(this.#target, 'allowance', [owner, spender]);
  }

  totalSupply(): Promise<bigint> {
    return readContract<bigint>(this.#target, 'totalSupply');
  }

  approve(spender: Address, amount: bigint, options: Signal = {}): Promise<SentTransaction> {
    return writeContract(this.#target, 'approve', [spender, amount], options);
  }

  /** Approves `amount` for `spender` only when the current allowance is smaller; returns the approval sent, if any. */
  async ensureAllowance(spender: Address, amount: bigint, options: Signal = {}): Promise<SentTransaction | undefined> {
    const owner = this.#target.clients.account?.address;
    if (owner && (await this.allowance(owner, spender)) >= amount) return undefined;
    return this.approve(spender, amount, options);
  }

  transfer(to: Address, amount: bigint, options: Signal = {}): Promise<SentTransaction> {
    return writeContract(this.#target, 'transfer', [to, amount], options);
  }

  mint(to: Address, amount: bigint, options: Signal = {}): Promise<SentTransaction> {
    return writeContract(this.#target, 'mint', [to, amount], options);
  }
}
