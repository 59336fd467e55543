import { GradnetError } from '../core/errors.ts';

/** The node key is not registered (or no longer active) in the NodeRegistry. */
export class NodeNotRegisteredError extends GradnetError {
  readonly nodeKey: string;

  constructor(nodeKey: string, chainId: number) {
    super('NODE_NOT_REGISTERED', `node key ${nodeKey} is not registered (or not active) on chain ${chainId}; run \`gradnet register --stake AMOUNT --node ${nodeKey}\` with its owner wallet first`);
    this.nodeKey = nodeKey;
  }
}
