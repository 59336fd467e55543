import type { IgnitionModuleBuilder } from '@nomicfoundation/ignition-core';
import { DEPLOY_DEFAULTS, ROLES } from './constants.ts';

/** Ignition's id of the gradnet module: its contract futures are `Gradnet#<contract>`, its parameters go under `Gradnet`. */
export const GRADNET_MODULE_ID = 'Gradnet';

/**
 * The gradnet contracts, as the definition `buildModule(GRADNET_MODULE_ID, …)` takes: both
 * `deployGradnet` and ignition/modules/Gradnet.ts build the module from it, so core/chain does
 * not import the Ignition folder (and never loads Ignition until it deploys).
 *
 * Roles: the GradnetTimelock (proposer and executor: `governor`, default the deployer; delay
 * `timelockDelay`) ends up the only admin of the token, the registry and the ledger; the deployer
 * wires the ledger (binds RoundChallenges, names the coordinator), mints the reward pool to the
 * RewardVault and the coordinator's bond, posts the bond, hands the admin role to the timelock and
 * renounces its own. It keeps MINTER_ROLE, bounded by the token's cap (the devnet funds its
 * wallets with it; the timelock can revoke it). The coordinator holds COORDINATOR_ROLE only.
 * The registry names the ledger (whose address is the EIP-712 domain of the updates it checks for
 * equivocation) and the vault (which receives slashed stake less the reporter's bounty); the
 * challenges contract names the ledger (the verdicts' domain), the registry (their stake) and the vault.
 */
export function defineGradnetModule(m: IgnitionModuleBuilder) {
  const deployer = m.getAccount(0);
  const coordinator = m.getParameter('coordinator', deployer);
  const governor = m.getParameter('governor', deployer);
  const genesisModelHash = m.getParameter('genesisModelHash', DEPLOY_DEFAULTS.genesisModelHash);
  const minStake = m.getParameter('minStake', DEPLOY_DEFAULTS.minStake);
  const unbondingPeriod = m.getParameter('unbondingPeriod', BigInt(DEPLOY_DEFAULTS.unbondingPeriodSeconds));
  const maxRewardBudget = m.getParameter('maxRewardBudget', DEPLOY_DEFAULTS.maxRewardBudget);
  const vaultFunding = m.getParameter('vaultFunding', DEPLOY_DEFAULTS.vaultFunding);
  const slashBountyBps = m.getParameter('slashBountyBps', BigInt(DEPLOY_DEFAULTS.slashBountyBps));
  const challengeWindow = m.getParameter('challengeWindow', BigInt(DEPLOY_DEFAULTS.challengeWindowSeconds));
  const coordinatorBond = m.getParameter('coordinatorBond', DEPLOY_DEFAULTS.coordinatorBond);
  const challengeThresholdBps = m.getParameter('challengeThresholdBps', BigInt(DEPLOY_DEFAULTS.challengeThresholdBps));
  const challengerShareBps = m.getParameter('challengerShareBps', BigInt(DEPLOY_DEFAULTS.challengerShareBps));
  const timelockDelay = m.getParameter('timelockDelay', BigInt(DEPLOY_DEFAULTS.timelockDelaySeconds));
  const tokenCap = m.getParameter('tokenCap', DEPLOY_DEFAULTS.tokenCap);

  const timelock = m.contract('GradnetTimelock', [timelockDelay, [governor], [governor]]);
  const token = m.contract('GradToken', [deployer, tokenCap]);
  const ledger = m.contract('RoundLedger', [deployer, genesisModelHash, maxRewardBudget, challengeWindow]);
  const vault = m.contract('RewardVault', [token, ledger]);
  const registry = m.contract('NodeRegistry', [token, minStake, unbondingPeriod, ledger, vault, slashBountyBps, timelock]);
  const challenges = m.contract('RoundChallenges', [token, ledger, registry, vault, challengeThresholdBps, challengerShareBps]);

  const fund = m.call(token, 'mint', [vault, vaultFunding], { id: 'FundRewardVault' });
  const bind = m.call(ledger, 'bindChallenges', [challenges], { id: 'BindChallenges' });
  const appoint = m.call(ledger, 'setCoordinator', [coordinator], { id: 'SetCoordinator' });
  const mintBond = m.call(token, 'mint', [deployer, coordinatorBond], { id: 'MintCoordinatorBond', after: [fund] });
  const approveBond = m.call(token, 'approve', [challenges, coordinatorBond], { id: 'ApproveCoordinatorBond', after: [mintBond] });
  const postBond = m.call(challenges, 'postBond', [coordinatorBond], { id: 'PostCoordinatorBond', after: [approveBond, appoint] });
  const ledgerAdmin = m.call(ledger, 'grantRole', [ROLES.admin, timelock], { id: 'TimelockAdministersLedger', after: [bind, appoint] });
  const tokenAdmin = m.call(token, 'grantRole', [ROLES.admin, timelock], { id: 'TimelockAdministersToken', after: [mintBond] });
  m.call(ledger, 'renounceRole', [ROLES.admin, deployer], { id: 'DeployerLeavesLedgerAdmin', after: [ledgerAdmin, postBond] });
  m.call(token, 'renounceRole', [ROLES.admin, deployer], { id: 'DeployerLeavesTokenAdmin', after: [tokenAdmin, postBond] });

  return { token, registry, ledger, vault, challenges, timelock };
}
