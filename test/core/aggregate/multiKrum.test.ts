import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gramMatrix } from '../../../core/aggregate/multiKrum.ts';
import { gaussianSource, randomVector } from './helpers.ts';

describe('gramMatrix', () => {
  for (const count of [1, 2, 3, 4, 5, 7, 16]) {
    it(`matches plain dot products for ${count} updates`, () => {
      const next = gaussianSource(count);
      const updates = Array.from({ length: count }, () => randomVector(4099, next));
      const gram = gramMatrix(updates, 4099);
      for (let i = 0; i < count; i++) {
        for (let j = 0; j < count; j++) {
          let expected = 0;
          for (let k = 0; k < 4099; k++) expected += updates[i][k] * updates[j][k];
          assert.ok(Math.abs(gram[i * count + j] - expected) <= 1e-9 * (1 + Math.abs(expected)), `G[${i}][${j}] = ${gram[i * count + j]}, expected ${expected}`);
        }
      }
    });
  }
});
