import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sortColumns } from '../../../core/aggregate/orderStatistics.ts';
import { gaussianSource } from './helpers.ts';

function rowsOf(values: number[][], length: number): { floats: Float32Array[]; ints: Int32Array[] } {
  const floats = values.map((row) => Float32Array.from(row.slice(0, length)));
  return { floats, ints: floats.map((row) => new Int32Array(row.buffer)) };
}

function assertColumnsSorted(original: number[][], floats: Float32Array[], length: number): void {
  for (let k = 0; k < length; k++) {
    const expected = original.map((row) => Math.fround(row[k])).sort((a, b) => a - b || (Object.is(a, -0) ? -1 : 1));
    const actual = floats.map((row) => row[k]);
    assert.deepEqual(actual, expected, `column ${k}`);
  }
}

describe('sortColumns', () => {
  it('sorts every 0/1 column of 16 rows (so, by the 0-1 principle, every column)', () => {
    const columns = 1 << 16;
    const floats = Array.from({ length: 16 }, (_, row) => Float32Array.from({ length: columns }, (_, k) => (k >> row) & 1));
    sortColumns(
      floats.map((row) => new Int32Array(row.buffer)),
      columns,
    );
    for (let k = 0; k < columns; k++) {
      let ones = 0;
      for (let row = 0; row < 16; row++) ones += floats[row][k];
      for (let row = 0; row < 16; row++) {
        if (floats[row][k] !== (row >= 16 - ones ? 1 : 0)) assert.fail(`column ${k} not sorted at row ${row}`);
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
      const { floats, ints } = rowsOf(values, length);
      sortColumns(ints, length);
      assertColumnsSorted(values, floats, length);
    });
  }

  it('sorts only the first `length` columns', () => {
    const { floats, ints } = rowsOf([[3, 9], [2, 8], [1, 7]], 2);
    sortColumns(ints, 1);
    assert.deepEqual(floats.map((row) => Array.from(row)), [[1, 9], [2, 8], [3, 7]]);
  });
});
