import { getAddress, isAddress, type Address } from 'viem';
import { InvalidMessageError } from './errors.ts';

/** The gossip message kinds, one topic each. */
export const TOPIC_KINDS = ['update', 'heartbeat', 'round-open', 'model-announce', 'verdict', 'commitment'] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

export type GradnetTopics = Readonly<Record<TopicKind, string>>;

/**
 * Topics are versioned and scoped to one deployment, `/gradnet/1/<chainId>/<RoundLedger>/<kind>`,
 * so nodes of different chains or deployments never share a mesh.
 */
export function gradnetTopics(chainId: number, ledger: Address): GradnetTopics {
  if (!Number.isSafeInteger(chainId) || chainId <= 0) {
    throw new InvalidMessageError(`chain id must be a positive integer, got ${chainId}`, chainId);
  }
  if (!isAddress(ledger, { strict: false })) {
    throw new InvalidMessageError(`RoundLedger address ${ledger} is not an address; take it from deployments/<chainId>.json`, ledger);
  }
  const prefix = `/gradnet/1/${chainId}/${getAddress(ledger)}`;
  return {
    update: `${prefix}/update`,
    heartbeat: `${prefix}/heartbeat`,
    'round-open': `${prefix}/round-open`,
    'model-announce': `${prefix}/model-announce`,
    verdict: `${prefix}/verdict`,
    commitment: `${prefix}/commitment`,
  };
}

/** The kind of a gradnet topic, or undefined when the topic is not one of `topics`. */
export function topicKind(topics: GradnetTopics, topic: string): TopicKind | undefined {
  return TOPIC_KINDS.find((kind) => topics[kind] === topic);
}
