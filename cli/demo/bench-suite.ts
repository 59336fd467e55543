import { loadavg } from 'node:os';
import { createLogger } from '../../core/log/index.ts';
import { DEFAULT_CODEC, DEFAULT_TOPK_FRACTION } from '../../core/tensor/index.ts';
import { runDemo } from './run.ts';

/** The README's `gradnet demo` (3 peers, 5 rounds, MLP): the time budget is 3 minutes and the accuracy target 95%. */
const TARGETS = { seconds: 180, finalAccuracy: 0.95, trainingShare: 0.8 };

const round3 = (value: number): number => Number(value.toFixed(3));
const seconds = (ms: number): number => Number((ms / 1000).toFixed(2));

/**
 * Runs the whole demo (devnet, coordinator and peers as processes) and reports its wall time,
 * the time to each committed round, the final test accuracy, the audit verdict, and the share of
 * wall time each peer spent training (issue 14's target: 80%) and the coordinator spent busy.
 */
export async function run(): Promise<Record<string, unknown>> {
  const logger = createLogger({ name: 'bench-demo', level: 'warn' });
  const marks: { line: string; seconds: number }[] = [];
  const started = performance.now();
  const result = await runDemo({
    peers: 3, rounds: 5, model: 'mlp', innerSteps: 100, learningRate: 0.003, codec: DEFAULT_CODEC, topkFraction: DEFAULT_TOPK_FRACTION,
    timeoutMs: 600_000, keep: false, logger, signal: AbortSignal.timeout(900_000),
    say: (line) => marks.push({ line, seconds: (performance.now() - started) / 1000 }),
  });
  const roundSeconds = marks.filter((mark) => / committed: /.test(mark.line)).map((mark) => Number(mark.seconds.toFixed(1)));
  return {
    peers: 3,
    rounds: 5,
    model: 'mlp',
    seconds: Number(result.seconds.toFixed(1)),
    secondsToFirstRound: roundSeconds[0],
    secondsPerRoundAfterFirst: Number(((roundSeconds[roundSeconds.length - 1] - roundSeconds[0]) / Math.max(1, roundSeconds.length - 1)).toFixed(1)),
    roundCommittedAtSeconds: roundSeconds,
    validationAccuracyPerRound: result.rounds.map((row) => Number(row.accuracy) / 1e6),
    finalTestAccuracy: result.finalAccuracy,
    audit: result.audit,
    // Issue 14 §4: the share of each peer's wall time spent training between the first and the last committed round.
    trainingShare: {
      peers: result.timeUse.peers.map((peer) => round3(peer.trainingShare)),
      min: round3(Math.min(...result.timeUse.peers.map((peer) => peer.trainingShare))),
      coordinatorBusy: result.timeUse.coordinator === undefined ? null : round3(result.timeUse.coordinator.busyShare),
    },
    phaseSecondsPerPeer: result.timeUse.peers.map((peer) => ({ peer: peer.peer, wall: seconds(peer.wallMs), ...Object.fromEntries(Object.entries(peer.phasesMs).map(([phase, ms]) => [phase, seconds(ms)])) })),
    coordinatorSeconds: result.timeUse.coordinator && { wall: seconds(result.timeUse.coordinator.wallMs), ...Object.fromEntries(Object.entries(result.timeUse.coordinator.busyMsByStep).map(([step, ms]) => [step, seconds(ms)])) },
    rewardsWei: Object.fromEntries(Object.entries(result.rewards).map(([owner, wei]) => [owner, wei.toString()])),
    targets: TARGETS,
    met: {
      seconds: result.seconds <= TARGETS.seconds,
      finalAccuracy: result.finalAccuracy >= TARGETS.finalAccuracy,
      audit: result.audit === 'match',
      trainingShare: result.timeUse.peers.length === 3 && result.timeUse.peers.every((peer) => peer.trainingShare >= TARGETS.trainingShare),
    },
    loadAverageAfter: loadavg()[0],
  };
}
