/**
 * One peer of `gradnet bench gossip`, run as a child process by bench/suites/gossip.ts and driven
 * over the IPC channel: it starts a gradnet node on loopback, dials whom it is told to, and
 * publishes or receives updates, reporting each delivery time (epoch ms, comparable across
 * processes on one machine).
 */
import { performance } from 'node:perf_hooks';
import type { Address, Hex } from 'viem';
import { createGradnetNode, type GradnetNode } from '../../core/p2p/index.ts';
import { createGossipValidator, gradnetDomain, signUpdate, type ValidationContext } from '../../core/protocol/index.ts';
import { encodeDelta } from '../../core/tensor/index.ts';

export type ParentMessage =
  | { type: 'init'; privateKey: Hex; directory: Address[]; chainId: number; ledger: Address; baseModelHash: Hex }
  | { type: 'dial'; addresses: string[] }
  | { type: 'wait-mesh'; peers: number }
  | { type: 'context'; round: number; parameterCount: number }
  | { type: 'publish'; round: number; parameterCount: number };

export type ChildMessage =
  | { type: 'ready'; address: string; peerId: string }
  | { type: 'done'; of: ParentMessage['type'] }
  | { type: 'published'; digest: Hex; t0: number; inline: boolean }
  | { type: 'delivered'; digest: Hex; t: number }
  | { type: 'failed'; error: string };

const now = (): number => performance.timeOrigin + performance.now();
// The parent may be gone (it gave up on us); there is then nobody to tell.
const send = (message: ChildMessage): void => {
  if (process.connected) process.send?.(message, undefined, {}, () => undefined);
};

let node: GradnetNode | undefined;
let init: Extract<ParentMessage, { type: 'init' }> | undefined;
let context: ValidationContext | undefined;

async function handle(message: ParentMessage): Promise<void> {
  switch (message.type) {
    case 'init': {
      init = message;
      const directory = new Set(message.directory);
      const validator = createGossipValidator({
        domain: gradnetDomain(message.chainId, message.ledger),
        directory: { isActive: async (nodeKey) => directory.has(nodeKey) },
        context: () => context,
        isCoordinator: () => false,
      });
      node = createGradnetNode({ privateKey: message.privateKey, chainId: message.chainId, ledger: message.ledger, validator });
      node.on('update', (event) => send({ type: 'delivered', digest: event.update.payloadDigest, t: now() }));
      await node.start({ signal: AbortSignal.timeout(60_000) });
      send({ type: 'ready', address: node.multiaddrs()[0], peerId: node.peerId });
      return;
    }
    case 'dial':
      for (const address of message.addresses) await node!.dial(address, { signal: AbortSignal.timeout(60_000) });
      break;
    case 'wait-mesh':
      await node!.waitForTopicPeers('update', message.peers, { signal: AbortSignal.timeout(60_000) });
      break;
    case 'context':
      context = { round: message.round, baseModelHash: init!.baseModelHash, parameterCount: message.parameterCount, maxNorm: 1e9 };
      break;
    case 'publish': {
      const delta = new Float32Array(message.parameterCount);
      for (let i = 0; i < delta.length; i++) delta[i] = Math.random() - 0.5;
      const { payload } = encodeDelta('fp32', delta);
      const update = await signUpdate({
        privateKey: init!.privateKey,
        domain: gradnetDomain(init!.chainId, init!.ledger),
        round: message.round,
        baseModelHash: init!.baseModelHash,
        samples: 64,
        trainLoss: 1,
        codec: 'fp32',
        payload,
      });
      const t0 = now();
      const { inline } = await node!.publishUpdate(update);
      send({ type: 'published', digest: update.payloadDigest, t0, inline });
      return;
    }
  }
  send({ type: 'done', of: message.type });
}

process.on('disconnect', () => void node?.stop().finally(() => process.exit(0)));
process.on('message', (message: ParentMessage) => {
  handle(message).catch((error: unknown) => send({ type: 'failed', error: String((error as Error)?.stack ?? error) }));
});
