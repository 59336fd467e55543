/**
 * Simulated peers for the benchmarks: N peers in one process that go through the network's own
 * code paths (training, codec, signed updates and the validator, the round transition, scoring).
 */
export { runSimulation, type SimulationConfig, type SimulationResult, type RoundReport } from './harness.ts';
export { attackNames, alieZMax, craftAttack, meanMinusZStd, l2Norm, type AttackName, type AttackOptions, type AttackInput } from './attacks.ts';
export { attackerTrainingData, DEFAULT_IPM_EPSILON } from './attacks.ts';
export { parseShardLayout, formatShardLayout, IID_SHARDS, type ShardLayout } from './shards.ts';
export { PinnedModelUpdateCache } from './update-cache.ts';
export { buildWorld, progress, rounded, SCORING_EXAMPLES, REWARDS, MAX_UPDATE_NORM, type SimulationWorld } from './setup.ts';
export { SimulationError } from './errors.ts';
export { simulate, resolveRule, SIMULATE_INNER, type SimulateOptions } from './simulate.ts';
