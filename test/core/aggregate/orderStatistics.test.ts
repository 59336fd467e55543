import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sortColumns } from '../../../core/aggregate/orderStatistics.ts';
import { gaussianSource } from './helpers.ts';

/** Sorts the columns of `values` and returns them as sorted columns. */
function sortedColumnsOf(values: number[][], length: number): number[][] {
  const ints = values.map((row) => new Int32Array(Float32Array.from(row.slice(0, length)).buffer));
  const sorted = new Int32Array(values.length * length);
  sortColumns(ints, length, sorted);
  const floats = new Float32Array(sorted.buffer);
  return Array.from({ length }, (_, k) => Array.from(floats.subarray(k * values.length, (k + 1) * values.length)));
}

function assertColumnsSorted(original: number[][], columns: number[][], length: number): void {
  for (let k = 0; k < length; k++) {
    const expected = original.map((row) => Math.fround(row[k])).sort((a, b) => a - b || (Object.is(a, -0) ? -1 : 1));
    assert.deepEqual(columns[k], expected, `column ${k}`);
  }
}

describe('sortColumns', () => {
  it('sorts every 0/1 column of 16 rows (so, by the 0-1 principle, every column)', () => {
    const columns = 1 << 16;
    const rows = Array.from({ length: 16 }, (_, row) => new Int32Array(Float32Array.from({ length: columns }, (_, k) => (k >> row) & 1).buffer));
    const sortedBits = new Int32Array(16 * columns);
    sortColumns(rows, columns, sortedBits);
    const sorted = new Float32Array(sortedBits.buffer);
    for (let k = 0; k < columns; k++) {
      let ones = 0;
      for (let bit = 0; bit < 16; bit++) ones += (k >> bit) & 1;
      for (let slot = 0; slot < 16; slot++) {
        if (sorted[k * 16 + slot] !== (slot >= 16 - ones ? 1 : 0)) assert.fail(`column ${k} not sorted at slot ${slot}`);
      }
    }
  });

  for (const count of [1, 2, 3, 7, 15, 16, 17, 24, 33]) {
    it(`sorts ${count} rows of mixed-sign values, zeros and infinities exactly`, () => {
      const next = gaussianSource(count);
      const length = 300;
      const special = [0, -0, Infinity, -Infinity, 1e-40, -1e-40, 3.4e38, -3.4e38];
      const values = Array.from({ length: count }, (_, row) =>
        Array.from({ length }, (_, k) => (k % 17 === row % 5 ? special[(k + row) % special.length] : next() * 10 ** ((k % 7) - 3))),
      );
      assertColumnsSorted(values, sortedColumnsOf(values, length), length);
    });
  }

  it('sorts only the first `length` columns', () => {
    const rows = [[3, 9], [2, 8], [1, 7]].map((row) => new Int32Array(Float32Array.from(row).buffer));
    const sorted = new Int32Array(6).fill(-1);
    sortColumns(rows, 1, sorted);
    assert.deepEqual(Array.from(new Float32Array(sorted.buffer).subarray(0, 3)), [1, 2, 3]);
    assert.deepEqual(Array.from(sorted.subarray(3)), [-1, -1, -1]);
  });
});
