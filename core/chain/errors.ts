import { GradnetError } from '../errors.ts';

/** Root of the errors raised by core/chain. */
export class ChainError extends GradnetError {}

/** The JSON-RPC endpoint did not answer (refused, timed out, not JSON-RPC). */
export class RpcUnreachableError extends ChainError {
  readonly rpcUrl: string;

  constructor(rpcUrl: string, cause: unknown) {
    super(
      'RPC_UNREACHABLE',
      `the JSON-RPC endpoint ${rpcUrl} did not answer (${describeCause(cause)}); check the URL and that the node is running (for a local chain: \`gradnet devnet\`)`,
      { cause },
    );
    this.rpcUrl = rpcUrl;
  }
}

/** The endpoint answers for a different chain than the caller expects. */
export class ChainIdMismatchError extends ChainError {
  readonly rpcUrl: string;
  readonly expected: number;
  readonly actual: number;

  constructor(rpcUrl: string, expected: number, actual: number) {
    super(
      'CHAIN_ID_MISMATCH',
      `${rpcUrl} serves chain ${actual}, but chain ${expected} was expected; point --rpc at the right network or use deployments/${actual}.json`,
    );
    this.rpcUrl = rpcUrl;
    this.expected = expected;
    this.actual = actual;
  }
}

/** deployments/<chainId>.json is missing, unreadable, or not in the agreed shape. */
export class DeploymentsError extends ChainError {
  readonly file: string;

  constructor(file: string, problem: string, cause?: unknown) {
    super('DEPLOYMENTS_INVALID', `${file}: ${problem}; run \`gradnet deploy\` (or \`gradnet devnet\` for a local chain) to write it`, { cause });
    this.file = file;
  }
}

/** A contract named in the deployments file has no code at its address on the chain. */
export class ContractMissingError extends ChainError {
  readonly rpcUrl: string;
  readonly contract: string;
  readonly address: string;

  constructor(rpcUrl: string, contract: string, address: string) {
    super(
      'CONTRACT_MISSING',
      `${contract} has no code at ${address} on ${rpcUrl}; the deployments file belongs to another chain instance — redeploy with \`gradnet deploy\``,
    );
    this.rpcUrl = rpcUrl;
    this.contract = contract;
    this.address = address;
  }
}

/**
 * A transaction or call reverted; `errorName`/`errorArgs` hold the decoded custom error when
 * known. Each action's error type narrows `errorName` to the errors its contract can raise.
 */
export class ContractRevertError<errorName extends string = string> extends ChainError {
  readonly rpcUrl: string;
  readonly functionName: string;
  readonly errorName: errorName | undefined;
  readonly errorArgs: readonly unknown[];

  constructor(options: { rpcUrl: string; contract: string; functionName: string; errorName?: errorName; errorArgs?: readonly unknown[]; cause: unknown }) {
    const args = (options.errorArgs ?? []).map(formatArg).join(', ');
    const what = options.errorName ? `${options.errorName}(${args})` : describeCause(options.cause);
    super('CONTRACT_REVERT', `${options.contract}.${options.functionName} reverted on ${options.rpcUrl}: ${what}`, { cause: options.cause });
    this.rpcUrl = options.rpcUrl;
    this.functionName = options.functionName;
    this.errorName = options.errorName;
    this.errorArgs = options.errorArgs ?? [];
  }
}

/** A mined transaction whose receipt says it failed. */
export class TransactionFailedError extends ChainError {
  readonly rpcUrl: string;
  readonly txHash: string;

  constructor(rpcUrl: string, description: string, txHash: string) {
    super('TX_FAILED', `${description} was mined but failed (tx ${txHash} on ${rpcUrl}); inspect it with a debugger or retry`);
    this.rpcUrl = rpcUrl;
    this.txHash = txHash;
  }
}

/** A sent transaction had no receipt within the timeout (stuck behind a nonce gap, or fees too low). */
export class TransactionTimeoutError extends ChainError {
  readonly rpcUrl: string;
  readonly txHash: string;

  constructor(rpcUrl: string, description: string, txHash: string, timeoutMs: number) {
    super('TX_TIMEOUT', `${description} (tx ${txHash}) was not mined on ${rpcUrl} within ${Math.round(timeoutMs / 1000)} s; check the node is mining and the account's pending nonce, then retry`);
    this.rpcUrl = rpcUrl;
    this.txHash = txHash;
  }
}

/** A write was asked of a client built without an account. */
export class NoAccountError extends ChainError {
  constructor(operation: string) {
    super('NO_ACCOUNT', `${operation} sends a transaction, but the chain clients were created without an account; pass \`account\` to createChainClients`);
  }
}

/** Bad input given to a core/chain function (never reached the chain). */
export class ChainInputError extends ChainError {
  constructor(problem: string, value: unknown) {
    super('CHAIN_INPUT', `${problem} (got ${formatArg(value)})`, { value });
  }
}

/** The devnet could not start: typically its port is taken. */
export class DevnetError extends ChainError {
  readonly port: number;

  constructor(port: number, problem: string, cause?: unknown) {
    super('DEVNET_FAILED', problem, { cause });
    this.port = port;
  }
}

function formatArg(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const short = (cause as { shortMessage?: unknown }).shortMessage;
    return typeof short === 'string' ? short : cause.message.split('\n')[0];
  }
  return String(cause);
}
