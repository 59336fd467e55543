/**
 * The coordinator: collects the updates peers gossip, closes rounds through core/round's state
 * machine, aggregates and scores them, writes each checkpoint, commits it on chain exactly once,
 * rewards contributors, slashes equivocators, and serves its state over HTTP. Everything it
 * must not lose lives in a SQLite store, so it resumes after any crash.
 */
export { createCoordinator, type Coordinator, type CoordinatorComponents, type CoordinatorEvents } from './coordinator.ts';
export { checkCoordinatorSettings, coordinatorConfigSchema, parseCoordinatorConfig, type CoordinatorConfig, type CoordinatorConfigInput } from './config.ts';
export { ApiRequestError, ChainStateError, CoordinatorConfigError, CoordinatorError, StoreError } from './errors.ts';
export { CoordinatorStore, type RoundRow, type RoundRowStatus, type UpdateRow, type RewardRow, type NodeRow, type EquivocationRow } from './store.ts';
export type { NodeStatus, Liveness } from './node-view.ts';
