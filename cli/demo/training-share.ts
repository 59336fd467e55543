import { PEER_PHASES, type PeerPhase, type PhaseSnapshot } from '../../node/index.ts';

/** A daemon's `phases` log line: its wall time by phase since it started, when it saw `roundCount` rounds committed. */
export interface PhaseLine extends PhaseSnapshot {
  roundCount: number;
}

/** Where a peer's wall time went between two committed rounds. */
export interface PeerShare {
  peer: string;
  wallMs: number;
  phasesMs: Record<PeerPhase, number>;
  /** training / wall time. */
  trainingShare: number;
}

/** The coordinator's busy counters (gradnet_coordinator_busy_seconds_total by step) read at a moment. */
export interface BusyReading {
  atMs: number;
  busySeconds: Record<string, number>;
}

/** The coordinator's wall time between two readings, and the share it spent on a round step of its own. */
export interface CoordinatorShare {
  wallMs: number;
  busyMsByStep: Record<string, number>;
  busyShare: number;
}

/** The `phases` field of a daemon's log line, or undefined when the line is another one. */
export function phaseLineOf(line: Record<string, unknown>): PhaseLine | undefined {
  if (line.event !== 'phases' || typeof line.roundCount !== 'number' || typeof line.wallMs !== 'number') return undefined;
  const phasesMs = line.phasesMs as Record<PeerPhase, number> | undefined;
  if (phasesMs === undefined || !PEER_PHASES.every((phase) => typeof phasesMs[phase] === 'number')) return undefined;
  return { roundCount: line.roundCount, wallMs: line.wallMs, phasesMs };
}

/**
 * A peer's phases between the moment it saw round `firstRound` committed and the moment it saw
 * `lastRound` committed (the differences of its two log lines); undefined when it saw only one.
 */
export function peerShareBetween(peer: string, lines: readonly PhaseLine[], firstRound: number, lastRound: number): PeerShare | undefined {
  const first = lines.find((line) => line.roundCount >= firstRound);
  const last = lines.find((line) => line.roundCount >= lastRound);
  if (first === undefined || last === undefined || last.wallMs <= first.wallMs) return undefined;
  const phasesMs = Object.fromEntries(PEER_PHASES.map((phase) => [phase, last.phasesMs[phase] - first.phasesMs[phase]])) as Record<PeerPhase, number>;
  const wallMs = last.wallMs - first.wallMs;
  return { peer, wallMs, phasesMs, trainingShare: phasesMs.training / wallMs };
}

/** The busy seconds by step in a Prometheus text exposition (what the coordinator's /metrics serves). */
export function busySecondsIn(metricsText: string): Record<string, number> {
  const busy: Record<string, number> = {};
  for (const match of metricsText.matchAll(/^gradnet_coordinator_busy_seconds_total\{step="([a-z]+)"\} (\S+)$/gm)) busy[match[1]] = Number(match[2]);
  return busy;
}

export function coordinatorShareBetween(first: BusyReading, last: BusyReading): CoordinatorShare {
  const wallMs = last.atMs - first.atMs;
  const steps = new Set([...Object.keys(first.busySeconds), ...Object.keys(last.busySeconds)]);
  const busyMsByStep = Object.fromEntries([...steps].map((step) => [step, ((last.busySeconds[step] ?? 0) - (first.busySeconds[step] ?? 0)) * 1000]));
  const busyMs = Object.values(busyMsByStep).reduce((sum, ms) => sum + ms, 0);
  return { wallMs, busyMsByStep, busyShare: wallMs > 0 ? busyMs / wallMs : 0 };
}
