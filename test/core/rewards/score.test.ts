import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lossPoints, pointsAsLoss, POINTS_PER_LOSS_UNIT, RewardsError, scoreUpdates, type ScoreInput } from '../../../core/rewards/index.ts';
import { digest, evaluateLoss, node, params, toward } from './fixtures.ts';

describe('scoreUpdates', () => {
  it('scores loss reduction on its own, floored at 0 for zero, sign-flipped and random updates', async () => {
    const updates: ScoreInput[] = [
      { nodeKey: node(1), digest: digest(1), delta: toward(0.5), arrival: 0 },
      { nodeKey: node(2), digest: digest(2), delta: toward(0.25, 0.2), arrival: 1 },
      { nodeKey: node(3), digest: digest(3), delta: new Float32Array(64), arrival: 2 },
      { nodeKey: node(4), digest: digest(4), delta: toward(-2), arrival: 3 },
      { nodeKey: node(5), digest: digest(5), delta: Float32Array.from({ length: 64 }, (_, k) => Math.cos(13 * k)), arrival: 4 },
    ];
    const { baseLoss, scores } = await scoreUpdates({ params, updates, evaluateLoss, stepScale: 1 });
    assert.equal(baseLoss, await evaluateLoss(params));
    assert.ok(scores[0].score > scores[1].score && scores[1].score > 0, `scores ${scores[0].score}, ${scores[1].score}`);
    assert.equal(scores[0].points, lossPoints(baseLoss)! - lossPoints(await evaluateLoss(toward(0.5)))!);
    assert.equal(scores[0].score, pointsAsLoss(scores[0].points));
    assert.deepEqual(scores.slice(2).map((s) => s.score), [0, 0, 0]);
    assert.ok(scores.every((s) => s.copyOf === null && s.verdict === 'scored'), 'nothing is a copy or flagged');
  });

  it('applies 1 / n of each delta by default: its share of a mean aggregate', async () => {
    const delta = toward(2.5);
    const updates: ScoreInput[] = [0, 1, 2].map((i) => ({ nodeKey: node(i), digest: digest(i), delta: i === 0 ? delta : toward(0.1 * i, 0.5 * i), arrival: i }));
    const { baseLoss, scores } = await scoreUpdates({ params, updates, evaluateLoss });
    const third = delta.map((value) => value / 3);
    assert.equal(scores[0].loss, await evaluateLoss(third));
    assert.equal(scores[0].points, lossPoints(baseLoss)! - lossPoints(await evaluateLoss(third))!);
    // The whole delta overshoots the target and would have scored 0.
    assert.ok((await evaluateLoss(delta)) > baseLoss, 'the full delta overshoots');
  });

  it('scores in fixed point: losses are rounded to 1e-9 points before the difference, so last-bit noise cannot reach the payout', async () => {
    assert.equal(POINTS_PER_LOSS_UNIT, 1e9);
    assert.equal(lossPoints(0.3), 300_000_000n);
    assert.equal(lossPoints(0.3 + 1e-15), 300_000_000n, 'a difference in the last bits is rounded away');
    assert.equal(lossPoints(2.0000000006), 2_000_000_001n);
    assert.equal(lossPoints(1e300), null, 'too large to count is no loss at all');
    assert.equal(lossPoints(Number.NaN), null);
    const updates: ScoreInput[] = [
      { nodeKey: node(1), digest: digest(1), delta: toward(0.5), arrival: 0 },
      { nodeKey: node(2), digest: digest(2), delta: toward(0.25, 0.2), arrival: 1 },
    ];
    // Below half a point: an update that lowers the loss by less than that earns nothing.
    const almostNothing = async (candidate: Float32Array): Promise<number> => (candidate === params ? 0.5 : 0.5 - 4e-10);
    const { scores } = await scoreUpdates({ params, updates, evaluateLoss: almostNothing });
    assert.deepEqual(scores.map((s) => s.points), [0n, 0n]);
    assert.ok(scores.every((s) => typeof s.points === 'bigint'));
  });

  it('scores 0, without evaluating it, an update whose step overflows float32, instead of failing the round', async () => {
    const huge = Float32Array.from({ length: 64 }, (_, k) => (k === 3 ? 3e38 : 0));
    const updates: ScoreInput[] = [
      { nodeKey: node(1), digest: digest(1), delta: toward(0.5), arrival: 0 },
      { nodeKey: node(2), digest: digest(2), delta: huge, arrival: 1 },
    ];
    const refusesNonFinite = async (candidate: Float32Array): Promise<number> => {
      if (!candidate.every(Number.isFinite)) throw new Error('an evaluator refuses non-finite parameters');
      return evaluateLoss(candidate);
    };
    const { scores } = await scoreUpdates({ params: params.map(() => 3e38), updates, evaluateLoss: refusesNonFinite, stepScale: 1, consensus: false });
    assert.equal(scores[1].points, 0n);
    assert.equal(scores[1].loss, Number.POSITIVE_INFINITY);
  });

  it('gives copies nothing: the same digest or a near-identical delta, whoever came later', async () => {
    const original = toward(0.5);
    const nearly = original.map((v, k) => v * (1 + 1e-5 * Math.sin(k)));
    const updates: ScoreInput[] = [
      { nodeKey: node(9), digest: digest(9), delta: nearly, arrival: 5 },
      { nodeKey: node(1), digest: digest(1), delta: original, arrival: 1 },
      { nodeKey: node(2), digest: digest(1), delta: original, arrival: 2 },
      { nodeKey: node(3), digest: digest(3), delta: toward(0.4, 0.3), arrival: 3 },
    ];
    const { scores } = await scoreUpdates({ params, updates, evaluateLoss });
    assert.deepEqual(
      scores.map((s) => [s.nodeKey, s.verdict === 'copy' ? s.copyOf : null, s.score > 0]),
      [
        [node(9), node(1), false],
        [node(1), null, true],
        [node(2), node(1), false],
        [node(3), null, true],
      ],
    );
    assert.equal(scores[0].loss, null);
  });

  it('on equal arrival the lower digest is the original', async () => {
    const delta = toward(0.5);
    const { scores } = await scoreUpdates({
      params,
      evaluateLoss,
      updates: [
        { nodeKey: node(1), digest: digest(7), delta, arrival: 0 },
        { nodeKey: node(2), digest: digest(6), delta: delta.slice(), arrival: 0 },
      ],
    });
    assert.deepEqual(scores.map((s) => s.copyOf), [node(2), null]);
  });

  it('gives updates the aggregation rule rejected nothing, without evaluating them', async () => {
    let evaluations = 0;
    const { scores } = await scoreUpdates({
      params,
      updates: [
        { nodeKey: node(1), digest: digest(1), delta: toward(0.5), arrival: 0, selected: false },
        { nodeKey: node(2), digest: digest(2), delta: toward(0.4, 0.3), arrival: 1, selected: true },
      ],
      evaluateLoss: async (candidate) => {
        evaluations += 1;
        return evaluateLoss(candidate);
      },
    });
    assert.deepEqual(scores.map((s) => [s.verdict, s.score > 0, s.loss === null]), [
      ['rejected', false, true],
      ['scored', true, false],
    ]);
    assert.equal(evaluations, 2, 'the base model and the selected update');
  });

  it('gives a synthetic consensus update (the others\' mean, shifted as ALIE does) nothing', async () => {
    const common = toward(0.5);
    const honest = [1, 2, 3, 4, 5, 6, 7].map((i) => common.map((value, k) => value + 0.6 * Math.sin(k * (i + 3) + i)));
    const mean = common.map((_, k) => honest.reduce((sum, h) => sum + h[k], 0) / honest.length);
    const std = common.map((_, k) => Math.sqrt(honest.reduce((sum, h) => sum + (h[k] - mean[k]) ** 2, 0) / honest.length));
    const alie = mean.map((value, k) => value - 0.52 * std[k]);
    const updates: ScoreInput[] = [...honest, alie, alie.slice()].map((delta, i) => ({ nodeKey: node(i), digest: digest(i), delta, arrival: i }));
    const { scores } = await scoreUpdates({ params, updates, evaluateLoss });
    assert.deepEqual(
      scores.map((s) => s.verdict),
      ['scored', 'scored', 'scored', 'scored', 'scored', 'scored', 'scored', 'consensus', 'copy'],
    );
    assert.ok(scores.slice(0, 7).every((s) => s.score > 0), 'honest updates earn');
    const unchecked = await scoreUpdates({ params, updates, evaluateLoss, consensus: false });
    assert.ok(unchecked.scores[7].score > 0, 'without the check the consensus update would earn');
  });

  it('scores an update whose loss is not finite as 0', async () => {
    const { scores } = await scoreUpdates({
      params,
      updates: [{ nodeKey: node(1), digest: digest(1), delta: toward(0.5), arrival: 0 }],
      evaluateLoss: async (candidate) => (candidate === params ? 1 : NaN),
    });
    assert.equal(scores[0].score, 0);
  });

  it('refuses bad input and stops when aborted', async () => {
    const good = { nodeKey: node(1), digest: digest(1), delta: toward(0.5), arrival: 0 };
    await assert.rejects(scoreUpdates({ params, evaluateLoss, updates: [{ ...good, delta: new Float32Array(3) }] }), RewardsError);
    await assert.rejects(scoreUpdates({ params, evaluateLoss, updates: [good, { ...good, digest: digest(2) }] }), /two updates in one round/);
    await assert.rejects(scoreUpdates({ params, evaluateLoss, updates: [good], copyCosine: 0 }), RewardsError);
    await assert.rejects(scoreUpdates({ params, evaluateLoss, updates: [good], stepScale: 0 }), /stepScale/);
    await assert.rejects(scoreUpdates({ params, updates: [good], evaluateLoss: async () => Infinity }), /base model/);
    await assert.rejects(scoreUpdates({ params, evaluateLoss, updates: [good], signal: AbortSignal.abort() }), { name: 'AbortError' });
  });
});
