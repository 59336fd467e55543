import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alieZMax, attackNames, craftAttack, l2Norm, meanMinusZStd, type AttackName, type AttackOptions } from '../../bench/sim/index.ts';
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
