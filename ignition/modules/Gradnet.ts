import { buildModule } from '@nomicfoundation/ignition-core';
import { keccak256, parseEther, toHex } from 'viem';

// Defaults for `npx hardhat ignition deploy ignition/modules/Gradnet.ts`; `gradnet deploy`
// passes every parameter explicitly. Override with `--parameters params.json`:
// {"Gradnet": {"coordinator": "0x…", "treasury": "0x…", "genesisModelHash": "0x…", …}}.
export const GRADNET_MODULE_DEFAULTS = {
  minStake: parseEther('100'),
  unbondingPeriod: 3_600n,
  maxRewardBudget: parseEther('10000'),
  vaultFunding: parseEther('1000000'),
  // A placeholder genesis for chains whose first model is not fixed yet; real networks pass
  // modelHash(initial model).
  genesisModelHash: keccak256(toHex('gradnet:genesis')),
} as const;

const COORDINATOR_ROLE = keccak256(toHex('COORDINATOR_ROLE'));
const SLASHER_ROLE = keccak256(toHex('SLASHER_ROLE'));

/**
 * The four gradnet contracts. The deployer (account 0) becomes admin and minter; the reward
 * pool is minted to the RewardVault up front; the coordinator gets COORDINATOR_ROLE on the
 * ledger and SLASHER_ROLE on the registry.
 */
export default buildModule('Gradnet', (m) => {
  const admin = m.getAccount(0);
  const coordinator = m.getParameter('coordinator', admin);
  const treasury = m.getParameter('treasury', admin);
  const genesisModelHash = m.getParameter('genesisModelHash', GRADNET_MODULE_DEFAULTS.genesisModelHash);
  const minStake = m.getParameter('minStake', GRADNET_MODULE_DEFAULTS.minStake);
  const unbondingPeriod = m.getParameter('unbondingPeriod', GRADNET_MODULE_DEFAULTS.unbondingPeriod);
  const maxRewardBudget = m.getParameter('maxRewardBudget', GRADNET_MODULE_DEFAULTS.maxRewardBudget);
  const vaultFunding = m.getParameter('vaultFunding', GRADNET_MODULE_DEFAULTS.vaultFunding);

  const token = m.contract('GradToken', [admin]);
  const registry = m.contract('NodeRegistry', [token, minStake, unbondingPeriod, treasury, admin]);
  const ledger = m.contract('RoundLedger', [admin, genesisModelHash, maxRewardBudget]);
  const vault = m.contract('RewardVault', [token, ledger]);

  m.call(token, 'mint', [vault, vaultFunding], { id: 'FundRewardVault' });
  m.call(ledger, 'grantRole', [COORDINATOR_ROLE, coordinator], { id: 'GrantCoordinatorRole' });
  m.call(registry, 'grantRole', [SLASHER_ROLE, coordinator], { id: 'GrantSlasherRole' });

  return { token, registry, ledger, vault };
});
