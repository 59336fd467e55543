import type { Address } from 'viem';
import { ROLES, type GradnetChain } from '../core/chain/index.ts';
import type { PeerChain } from '../core/peer/index.ts';

/**
 * The peer's chain port over the ledger and registry clients. Coordinator roles are asked once
 * per address (a failed lookup is asked again): round-open and model-announce messages need it.
 */
export function ledgerChain(chain: GradnetChain): PeerChain {
  const coordinators = new Map<string, Promise<boolean>>();
  return {
    roundCount: (options) => chain.ledger.roundCount(options),
    latestModelHash: (options) => chain.ledger.latestModelHash(options),
    latestFinalRound: (options) => chain.ledger.latestFinalRound(options),
    isActive: (nodeKey) => chain.registry.isActive(nodeKey),
    isCoordinator: (address: Address) => {
      const key = address.toLowerCase();
      let check = coordinators.get(key);
      if (check === undefined) {
        check = chain.ledger.hasRole(ROLES.coordinator, address);
        coordinators.set(key, check);
        check.catch(() => coordinators.delete(key));
      }
      return check;
    },
  };
}
