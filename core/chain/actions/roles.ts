import type { ContractAt, FunctionParameters } from './contract.ts';
import type { ReadErrorType, WriteErrorType } from './errors.ts';
import type { ActionOptions } from './options.ts';
import { readView, type ViewReturnType } from './read.ts';
import { writeAndWait, type SentTransaction } from './write.ts';

// OpenZeppelin AccessControl: the token (MINTER_ROLE), the registry (admin only), the ledger
// (COORDINATOR_ROLE) and the timelock that is their admin (PROPOSER_ROLE, EXECUTOR_ROLE). Role ids are in ROLES.

/** The contracts that grant roles. */
export type AccessControlled = 'GradToken' | 'NodeRegistry' | 'RoundLedger' | 'GradnetTimelock';

export type HasRoleParameters = FunctionParameters<AccessControlled, 'hasRole'> & ActionOptions;
export type HasRoleReturnType = ViewReturnType<AccessControlled, 'hasRole'>;
export type HasRoleErrorType = ReadErrorType<AccessControlled>;

/** Whether `account` holds `role` on `contract`. */
export function hasRole(contract: ContractAt<AccessControlled>, { role, account, signal }: HasRoleParameters): Promise<HasRoleReturnType> {
  return readView(contract, 'hasRole', [role, account], signal);
}

export type GrantRoleParameters = FunctionParameters<AccessControlled, 'grantRole'> & ActionOptions;
export type GrantRoleErrorType = WriteErrorType<AccessControlled>;

/** Grants `role` on `contract` to `account`; needs the role's admin (DEFAULT_ADMIN_ROLE). */
export function grantRole(contract: ContractAt<AccessControlled>, { role, account, signal }: GrantRoleParameters): Promise<SentTransaction> {
  return writeAndWait(contract, 'grantRole', [role, account], signal);
}
