import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  alieZMax,
  attackerTrainingData,
  attackNames,
  craftAttack,
  DEFAULT_IPM_EPSILON,
  formatShardLayout,
  l2Norm,
  meanMinusZStd,
  parseShardLayout,
  SimulationError,
  type AttackName,
  type AttackOptions,
} from '../../bench/sim/index.ts';
import { SeededRandom } from '../../core/ml/index.ts';

const honest = [
  Float32Array.from([1, 2, 3, 4]),
  Float32Array.from([3, 2, 1, 0]),
  Float32Array.from([2, 2, 2, 2]),
];
const own = [Float32Array.from([1, -1, 0.5, 0]), Float32Array.from([0, 2, 0, -2])];

function craft(attack: AttackName, options: AttackOptions = { signflipScale: 3 }): Float32Array[] {
  return craftAttack(attack, { honest, own, attackers: 2, peers: 5, random: new SeededRandom(7, 'test') }, options);
}

describe('attacks', () => {
  it('signflip negates and scales each attacker\'s own update', () => {
    const [first, second] = craft('signflip');
    assert.deepEqual([...first], [-3, 3, -1.5, -0]);
    assert.deepEqual([...second], [-0, -6, -0, 6]);
  });

  it('gaussian sends distinct noise with the mean honest norm', () => {
    const [first, second] = craft('gaussian');
    const honestNorm = honest.reduce((sum, update) => sum + l2Norm(update), 0) / honest.length;
    assert.ok(Math.abs(l2Norm(first) - honestNorm) < 1e-5);
    assert.ok(Math.abs(l2Norm(second) - honestNorm) < 1e-5);
    assert.notDeepEqual([...first], [...second]);
  });

  it('zero sends all zeros of the model length', () => {
    for (const update of craft('zero')) assert.deepEqual([...update], [0, 0, 0, 0]);
  });

  it('copy replays honest updates byte for byte, in new buffers', () => {
    const copies = craft('copy');
    assert.deepEqual(copies, [honest[0], honest[1]]);
    assert.notEqual(copies[0].buffer, honest[0].buffer);
  });

  it('alie sends mean − z·std, the same vector from every attacker', () => {
    const [first, second] = craft('alie', { signflipScale: 3, alieZ: 1 });
    const std0 = Math.sqrt(((1 - 2) ** 2 + (3 - 2) ** 2 + 0) / 3);
    assert.ok(Math.abs(first[0] - (2 - std0)) < 1e-6);
    assert.equal(first[1], 2); // no spread, no shift
    assert.deepEqual(first, second);
    assert.deepEqual(meanMinusZStd(honest, 0), Float32Array.from([2, 2, 2, 2]));
  });

  it('ipm sends −ε × the honest mean from every attacker (ε = 0.1 unless told)', () => {
    const [first, second] = craft('ipm');
    assert.equal(DEFAULT_IPM_EPSILON, 0.1);
    for (const [k, value] of [-0.2, -0.2, -0.2, -0.2].entries()) assert.ok(Math.abs(first[k] - value) < 1e-6);
    assert.deepEqual(first, second);
    assert.notEqual(first.buffer, second.buffer);
    const [strong] = craft('ipm', { signflipScale: 3, ipmEpsilon: 2 });
    assert.deepEqual([...strong], [-4, -4, -4, -4]);
  });

  it('labelflip sends what each attacker trained on its flipped labels, copied', () => {
    const sent = craft('labelflip');
    assert.deepEqual(sent, own);
    assert.notEqual(sent[0].buffer, own[0].buffer);
  });

  it('a label flipper trains on y → 9 − y of its own shard; other attackers on the shard unchanged', () => {
    const shard = { images: new Uint8Array(4 * 784), labels: Uint8Array.of(0, 3, 9, 5), size: 4 };
    const flipped = attackerTrainingData('labelflip', shard);
    assert.deepEqual([...flipped.labels], [9, 6, 0, 4]);
    assert.equal(flipped.images, shard.images);
    assert.deepEqual([...shard.labels], [0, 3, 9, 5], 'the honest shard is left alone');
    for (const attack of attackNames.filter((name) => name !== 'labelflip')) assert.equal(attackerTrainingData(attack, shard), shard);
  });

  it('z_max for 10 peers and 3 attackers is Φ⁻¹(0.7)', () => {
    assert.ok(Math.abs(alieZMax(10, 3) - 0.5244) < 1e-3);
  });

  it('refuses an attack without honest updates to watch, naming the count', () => {
    for (const attack of attackNames) {
      assert.throws(
        () => craftAttack(attack, { honest: [], own, attackers: 2, peers: 2, random: new SeededRandom(1) }, { signflipScale: 1 }),
        /at least one honest update/,
      );
    }
  });
});

describe('shard layouts', () => {
  it('reads iid and dirichlet:ALPHA and writes them back', () => {
    assert.deepEqual(parseShardLayout('iid'), { scheme: 'iid' });
    assert.deepEqual(parseShardLayout('Dirichlet:0.5'), { scheme: 'dirichlet', alpha: 0.5 });
    for (const text of ['iid', 'dirichlet:0.5', 'dirichlet:10']) assert.equal(formatShardLayout(parseShardLayout(text)), text);
  });

  it('refuses anything else, saying what it takes', () => {
    for (const text of ['dirichlet', 'dirichlet:0', 'dirichlet:-1', 'dirichlet:abc', 'noniid', '']) {
      assert.throws(() => parseShardLayout(text), (error: Error) => error instanceof SimulationError && /iid nor dirichlet:ALPHA/.test(error.message));
    }
  });
});
