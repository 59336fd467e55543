import type { Address } from 'viem';
import { allowance, approve, balanceOf, contractAt, mint, totalSupply, transfer, type ActionOptions, type ContractAt, type SentTransaction } from './actions/index.ts';
import type { ChainClients } from './clients.ts';

/** GradToken: balances, approvals, transfers and (for MINTER_ROLE holders) minting. */
export class TokenClient {
  readonly address: Address;
  readonly #token: ContractAt<'GradToken'>;

  constructor(clients: ChainClients, address: Address) {
    this.address = address;
    this.#token = contractAt(clients, 'GradToken', address);
  }

  balanceOf(owner: Address): Promise<bigint> {
    return balanceOf(this.#token, { account: owner });
  }

  allowance(owner: Address, spender: Address): Promise<bigint> {
    return allowance(this.#token, { owner, spender });
  }

  totalSupply(): Promise<bigint> {
    return totalSupply(this.#token);
  }

  approve(spender: Address, amount: bigint, options: ActionOptions = {}): Promise<SentTransaction> {
    return approve(this.#token, { spender, value: amount, signal: options.signal });
  }

  /** Approves `amount` for `spender` only when the current allowance is smaller; returns the approval sent, if any. */
  async ensureAllowance(spender: Address, amount: bigint, options: ActionOptions = {}): Promise<SentTransaction | undefined> {
    const owner = this.#token.clients.account?.address;
    if (owner && (await this.allowance(owner, spender)) >= amount) return undefined;
    return this.approve(spender, amount, options);
  }

  transfer(to: Address, amount: bigint, options: ActionOptions = {}): Promise<SentTransaction> {
    return transfer(this.#token, { to, value: amount, signal: options.signal });
  }

  mint(to: Address, amount: bigint, options: ActionOptions = {}): Promise<SentTransaction> {
    return mint(this.#token, { to, amount, signal: options.signal });
  }
}
