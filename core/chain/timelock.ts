import { setTimeout as sleep } from 'node:timers/promises';
import { toHex, zeroHash, type Address, type Hex } from 'viem';
import { contractAt, execute, getMinDelay, schedule, type ActionOptions, type ContractAt, type SentTransaction } from './actions/index.ts';
import type { ChainClients } from './clients.ts';

/**
 * The GradnetTimelock, admin of every gradnet contract: `run` schedules one admin call as a
 * proposer, waits out the delay and executes it.
 */
export class TimelockClient {
  readonly address: Address;
  readonly #timelock: ContractAt<'GradnetTimelock'>;

  constructor(clients: ChainClients, address: Address) {
    this.address = address;
    this.#timelock = contractAt(clients, 'GradnetTimelock', address);
  }

  /** Seconds between scheduling an admin call and executing it. */
  async minDelay(options: ActionOptions = {}): Promise<number> {
    return Number(await getMinDelay(this.#timelock, options));
  }

  /**
   * Calls `target` with `data` as the admin: schedules it (the client's account must be a proposer),
   * waits the timelock's delay (wall clock: a new block's time is at least that) and executes it
   * (the account must be an executor). Resolves with the executing transaction.
   */
  async run(target: Address, data: Hex, options: ActionOptions = {}): Promise<SentTransaction> {
    const delay = await getMinDelay(this.#timelock, options);
    // A fresh salt: the same call may have run before, and an operation id runs once.
    const salt = toHex(crypto.getRandomValues(new Uint8Array(32)));
    const operation = { target, value: 0n, predecessor: zeroHash, salt, signal: options.signal };
    await schedule(this.#timelock, { ...operation, data, delay });
    // One second more: block times are whole seconds and the next block may share this one's.
    if (delay > 0n) await sleep((Number(delay) + 1) * 1_000, undefined, { signal: options.signal });
    return execute(this.#timelock, { ...operation, payload: data });
  }
}
