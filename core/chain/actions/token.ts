import type { ContractAt, FunctionParameters } from './contract.ts';
import type { ReadErrorType, WriteErrorType } from './errors.ts';
import type { ActionOptions } from './options.ts';
import { readView, type ViewReturnType } from './read.ts';
import { writeAndWait, type SentTransaction } from './write.ts';

// GradToken (ERC-20). Reads fail with ReadErrorType<'GradToken'>, transactions with WriteErrorType<'GradToken'>.

type GradToken = ContractAt<'GradToken'>;

export type BalanceOfParameters = FunctionParameters<'GradToken', 'balanceOf'> & ActionOptions;
export type BalanceOfReturnType = ViewReturnType<'GradToken', 'balanceOf'>;
export type BalanceOfErrorType = ReadErrorType<'GradToken'>;

export function balanceOf(token: GradToken, { account, signal }: BalanceOfParameters): Promise<BalanceOfReturnType> {
  return readView(token, 'balanceOf', [account], signal);
}

export type AllowanceParameters = FunctionParameters<'GradToken', 'allowance'> & ActionOptions;
export type AllowanceReturnType = ViewReturnType<'GradToken', 'allowance'>;
export type AllowanceErrorType = ReadErrorType<'GradToken'>;

export function allowance(token: GradToken, { owner, spender, signal }: AllowanceParameters): Promise<AllowanceReturnType> {
  return readView(token, 'allowance', [owner, spender], signal);
}

export type TotalSupplyReturnType = ViewReturnType<'GradToken', 'totalSupply'>;
export type TotalSupplyErrorType = ReadErrorType<'GradToken'>;

export function totalSupply(token: GradToken, { signal }: ActionOptions = {}): Promise<TotalSupplyReturnType> {
  return readView(token, 'totalSupply', [], signal);
}

export type ApproveParameters = FunctionParameters<'GradToken', 'approve'> & ActionOptions;
export type ApproveErrorType = WriteErrorType<'GradToken'>;

export function approve(token: GradToken, { spender, value, signal }: ApproveParameters): Promise<SentTransaction> {
  return writeAndWait(token, 'approve', [spender, value], signal);
}

export type TransferParameters = FunctionParameters<'GradToken', 'transfer'> & ActionOptions;
export type TransferErrorType = WriteErrorType<'GradToken'>;

export function transfer(token: GradToken, { to, value, signal }: TransferParameters): Promise<SentTransaction> {
  return writeAndWait(token, 'transfer', [to, value], signal);
}

export type MintParameters = FunctionParameters<'GradToken', 'mint'> & ActionOptions;
export type MintErrorType = WriteErrorType<'GradToken'>;

/** Mints new tokens to `to`; needs MINTER_ROLE. */
export function mint(token: GradToken, { to, amount, signal }: MintParameters): Promise<SentTransaction> {
  return writeAndWait(token, 'mint', [to, amount], signal);
}
