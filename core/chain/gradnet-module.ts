import type { IgnitionModuleBuilder } from '@nomicfoundation/ignition-core';
import { DEPLOY_DEFAULTS, ROLES } from './constants.ts';

/** Ignition's id of the gradnet module: its contract futures are `Gradnet#<contract>`, its parameters go under `Gradnet`. */
export const GRADNET_MODULE_ID = 'Gradnet';

/**
 * The four gradnet contracts, as the definition `buildModule(GRADNET_MODULE_ID, …)` takes: both
 * `deployGradnet` and ignition/modules/Gradnet.ts build the module from it, so core/chain does
 * not import the Ignition folder (and never loads Ignition until it deploys). The deployer
 * (account 0) becomes admin and minter; the reward pool is minted to the RewardVault up front;
 * the coordinator gets COORDINATOR_ROLE on the ledger. The registry comes last: it names the
 * ledger (whose address is the EIP-712 domain of the updates it checks for equivocation) and the
 * vault (which receives slashed stake less the reporter's bounty).
 */
export function defineGradnetModule(m: IgnitionModuleBuilder) {
  const admin = m.getAccount(0);
  const coordinator = m.getParameter('coordinator', admin);
  const genesisModelHash = m.getParameter('genesisModelHash', DEPLOY_DEFAULTS.genesisModelHash);
  const minStake = m.getParameter('minStake', DEPLOY_DEFAULTS.minStake);
  const unbondingPeriod = m.getParameter('unbondingPeriod', BigInt(DEPLOY_DEFAULTS.unbondingPeriodSeconds));
  const maxRewardBudget = m.getParameter('maxRewardBudget', DEPLOY_DEFAULTS.maxRewardBudget);
  const vaultFunding = m.getParameter('vaultFunding', DEPLOY_DEFAULTS.vaultFunding);
  const slashBountyBps = m.getParameter('slashBountyBps', BigInt(DEPLOY_DEFAULTS.slashBountyBps));

  const token = m.contract('GradToken', [admin]);
  const ledger = m.contract('RoundLedger', [admin, genesisModelHash, maxRewardBudget]);
  const vault = m.contract('RewardVault', [token, ledger]);
  const registry = m.contract('NodeRegistry', [token, minStake, unbondingPeriod, ledger, vault, slashBountyBps, admin]);

  m.call(token, 'mint', [vault, vaultFunding], { id: 'FundRewardVault' });
  m.call(ledger, 'grantRole', [ROLES.coordinator, coordinator], { id: 'GrantCoordinatorRole' });

  return { token, registry, ledger, vault };
}
