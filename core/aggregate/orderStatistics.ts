/**
 * Sorting each coordinate across updates, exactly and without data-dependent branches.
 *
 * Float32 values are compared as integers: flipping the magnitude bits of negative floats turns
 * their bit patterns into int32 keys with the same total order (−0 sorts just below +0), and an
 * integer compare-exchange can be written with masks, so random data costs no mispredicted
 * branches (Math.min/max or a ternary was 2–3× slower here).
 */

/** Rows the fixed network sorts; fewer rows are padded with ±Infinity up to this width. */
export const NETWORK_WIDTH = 16;

/**
 * Batcher's odd–even merge sort for 16 wires (63 comparators) with the 16 values of a coordinate
 * held in locals, so the network runs in registers. Unrolled because that is what keeps the values
 * out of memory; the test checks it sorts every 0/1 input, which proves it sorts everything. The
 * result goes to one buffer, coordinate-major: writing back into the 16 rows needed 16 more base
 * registers than x64 has and was 20% slower.
 */
function sortColumns16(rows: readonly Int32Array[], length: number, sorted: Int32Array): void {
  const [r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14, r15] = rows;
  for (let k = 0; k < length; k++) {
    let v0 = r0[k]; v0 ^= (v0 >> 31) & 0x7fffffff;
    let v1 = r1[k]; v1 ^= (v1 >> 31) & 0x7fffffff;
    let v2 = r2[k]; v2 ^= (v2 >> 31) & 0x7fffffff;
    let v3 = r3[k]; v3 ^= (v3 >> 31) & 0x7fffffff;
    let v4 = r4[k]; v4 ^= (v4 >> 31) & 0x7fffffff;
    let v5 = r5[k]; v5 ^= (v5 >> 31) & 0x7fffffff;
    let v6 = r6[k]; v6 ^= (v6 >> 31) & 0x7fffffff;
    let v7 = r7[k]; v7 ^= (v7 >> 31) & 0x7fffffff;
    let v8 = r8[k]; v8 ^= (v8 >> 31) & 0x7fffffff;
    let v9 = r9[k]; v9 ^= (v9 >> 31) & 0x7fffffff;
    let v10 = r10[k]; v10 ^= (v10 >> 31) & 0x7fffffff;
    let v11 = r11[k]; v11 ^= (v11 >> 31) & 0x7fffffff;
    let v12 = r12[k]; v12 ^= (v12 >> 31) & 0x7fffffff;
    let v13 = r13[k]; v13 ^= (v13 >> 31) & 0x7fffffff;
    let v14 = r14[k]; v14 ^= (v14 >> 31) & 0x7fffffff;
    let v15 = r15[k]; v15 ^= (v15 >> 31) & 0x7fffffff;
    { const t = (v0 ^ v1) & -(v1 < v0); v0 ^= t; v1 ^= t; }
    { const t = (v2 ^ v3) & -(v3 < v2); v2 ^= t; v3 ^= t; }
    { const t = (v4 ^ v5) & -(v5 < v4); v4 ^= t; v5 ^= t; }
    { const t = (v6 ^ v7) & -(v7 < v6); v6 ^= t; v7 ^= t; }
    { const t = (v8 ^ v9) & -(v9 < v8); v8 ^= t; v9 ^= t; }
    { const t = (v10 ^ v11) & -(v11 < v10); v10 ^= t; v11 ^= t; }
    { const t = (v12 ^ v13) & -(v13 < v12); v12 ^= t; v13 ^= t; }
    { const t = (v14 ^ v15) & -(v15 < v14); v14 ^= t; v15 ^= t; }
    { const t = (v0 ^ v2) & -(v2 < v0); v0 ^= t; v2 ^= t; }
    { const t = (v1 ^ v3) & -(v3 < v1); v1 ^= t; v3 ^= t; }
    { const t = (v4 ^ v6) & -(v6 < v4); v4 ^= t; v6 ^= t; }
    { const t = (v5 ^ v7) & -(v7 < v5); v5 ^= t; v7 ^= t; }
    { const t = (v8 ^ v10) & -(v10 < v8); v8 ^= t; v10 ^= t; }
    { const t = (v9 ^ v11) & -(v11 < v9); v9 ^= t; v11 ^= t; }
    { const t = (v12 ^ v14) & -(v14 < v12); v12 ^= t; v14 ^= t; }
    { const t = (v13 ^ v15) & -(v15 < v13); v13 ^= t; v15 ^= t; }
    { const t = (v1 ^ v2) & -(v2 < v1); v1 ^= t; v2 ^= t; }
    { const t = (v5 ^ v6) & -(v6 < v5); v5 ^= t; v6 ^= t; }
    { const t = (v9 ^ v10) & -(v10 < v9); v9 ^= t; v10 ^= t; }
    { const t = (v13 ^ v14) & -(v14 < v13); v13 ^= t; v14 ^= t; }
    { const t = (v0 ^ v4) & -(v4 < v0); v0 ^= t; v4 ^= t; }
    { const t = (v1 ^ v5) & -(v5 < v1); v1 ^= t; v5 ^= t; }
    { const t = (v2 ^ v6) & -(v6 < v2); v2 ^= t; v6 ^= t; }
    { const t = (v3 ^ v7) & -(v7 < v3); v3 ^= t; v7 ^= t; }
    { const t = (v8 ^ v12) & -(v12 < v8); v8 ^= t; v12 ^= t; }
    { const t = (v9 ^ v13) & -(v13 < v9); v9 ^= t; v13 ^= t; }
    { const t = (v10 ^ v14) & -(v14 < v10); v10 ^= t; v14 ^= t; }
    { const t = (v11 ^ v15) & -(v15 < v11); v11 ^= t; v15 ^= t; }
    { const t = (v2 ^ v4) & -(v4 < v2); v2 ^= t; v4 ^= t; }
    { const t = (v3 ^ v5) & -(v5 < v3); v3 ^= t; v5 ^= t; }
    { const t = (v10 ^ v12) & -(v12 < v10); v10 ^= t; v12 ^= t; }
    { const t = (v11 ^ v13) & -(v13 < v11); v11 ^= t; v13 ^= t; }
    { const t = (v1 ^ v2) & -(v2 < v1); v1 ^= t; v2 ^= t; }
    { const t = (v3 ^ v4) & -(v4 < v3); v3 ^= t; v4 ^= t; }
    { const t = (v5 ^ v6) & -(v6 < v5); v5 ^= t; v6 ^= t; }
    { const t = (v9 ^ v10) & -(v10 < v9); v9 ^= t; v10 ^= t; }
    { const t = (v11 ^ v12) & -(v12 < v11); v11 ^= t; v12 ^= t; }
    { const t = (v13 ^ v14) & -(v14 < v13); v13 ^= t; v14 ^= t; }
    { const t = (v0 ^ v8) & -(v8 < v0); v0 ^= t; v8 ^= t; }
    { const t = (v1 ^ v9) & -(v9 < v1); v1 ^= t; v9 ^= t; }
    { const t = (v2 ^ v10) & -(v10 < v2); v2 ^= t; v10 ^= t; }
    { const t = (v3 ^ v11) & -(v11 < v3); v3 ^= t; v11 ^= t; }
    { const t = (v4 ^ v12) & -(v12 < v4); v4 ^= t; v12 ^= t; }
    { const t = (v5 ^ v13) & -(v13 < v5); v5 ^= t; v13 ^= t; }
    { const t = (v6 ^ v14) & -(v14 < v6); v6 ^= t; v14 ^= t; }
    { const t = (v7 ^ v15) & -(v15 < v7); v7 ^= t; v15 ^= t; }
    { const t = (v4 ^ v8) & -(v8 < v4); v4 ^= t; v8 ^= t; }
    { const t = (v5 ^ v9) & -(v9 < v5); v5 ^= t; v9 ^= t; }
    { const t = (v6 ^ v10) & -(v10 < v6); v6 ^= t; v10 ^= t; }
    { const t = (v7 ^ v11) & -(v11 < v7); v7 ^= t; v11 ^= t; }
    { const t = (v2 ^ v4) & -(v4 < v2); v2 ^= t; v4 ^= t; }
    { const t = (v3 ^ v5) & -(v5 < v3); v3 ^= t; v5 ^= t; }
    { const t = (v6 ^ v8) & -(v8 < v6); v6 ^= t; v8 ^= t; }
    { const t = (v7 ^ v9) & -(v9 < v7); v7 ^= t; v9 ^= t; }
    { const t = (v10 ^ v12) & -(v12 < v10); v10 ^= t; v12 ^= t; }
    { const t = (v11 ^ v13) & -(v13 < v11); v11 ^= t; v13 ^= t; }
    { const t = (v1 ^ v2) & -(v2 < v1); v1 ^= t; v2 ^= t; }
    { const t = (v3 ^ v4) & -(v4 < v3); v3 ^= t; v4 ^= t; }
    { const t = (v5 ^ v6) & -(v6 < v5); v5 ^= t; v6 ^= t; }
    { const t = (v7 ^ v8) & -(v8 < v7); v7 ^= t; v8 ^= t; }
    { const t = (v9 ^ v10) & -(v10 < v9); v9 ^= t; v10 ^= t; }
    { const t = (v11 ^ v12) & -(v12 < v11); v11 ^= t; v12 ^= t; }
    { const t = (v13 ^ v14) & -(v14 < v13); v13 ^= t; v14 ^= t; }
    const o = k * 16;
    sorted[o + 0] = v0 ^ ((v0 >> 31) & 0x7fffffff);
    sorted[o + 1] = v1 ^ ((v1 >> 31) & 0x7fffffff);
    sorted[o + 2] = v2 ^ ((v2 >> 31) & 0x7fffffff);
    sorted[o + 3] = v3 ^ ((v3 >> 31) & 0x7fffffff);
    sorted[o + 4] = v4 ^ ((v4 >> 31) & 0x7fffffff);
    sorted[o + 5] = v5 ^ ((v5 >> 31) & 0x7fffffff);
    sorted[o + 6] = v6 ^ ((v6 >> 31) & 0x7fffffff);
    sorted[o + 7] = v7 ^ ((v7 >> 31) & 0x7fffffff);
    sorted[o + 8] = v8 ^ ((v8 >> 31) & 0x7fffffff);
    sorted[o + 9] = v9 ^ ((v9 >> 31) & 0x7fffffff);
    sorted[o + 10] = v10 ^ ((v10 >> 31) & 0x7fffffff);
    sorted[o + 11] = v11 ^ ((v11 >> 31) & 0x7fffffff);
    sorted[o + 12] = v12 ^ ((v12 >> 31) & 0x7fffffff);
    sorted[o + 13] = v13 ^ ((v13 >> 31) & 0x7fffffff);
    sorted[o + 14] = v14 ^ ((v14 >> 31) & 0x7fffffff);
    sorted[o + 15] = v15 ^ ((v15 >> 31) & 0x7fffffff);
  }
}

/** The comparator pairs of Batcher's odd–even merge sort on `width` wires (a power of two). */
function batcherComparators(width: number): Int32Array {
  const pairs: number[] = [];
  for (let p = 1; p < width; p *= 2) {
    for (let k = p; k >= 1; k = Math.floor(k / 2)) {
      for (let j = k % p; j <= width - 1 - k; j += 2 * k) {
        for (let i = 0; i <= Math.min(k - 1, width - j - k - 1); i++) {
          if (Math.floor((i + j) / (p * 2)) === Math.floor((i + j + k) / (p * 2))) pairs.push(i + j, i + j + k);
        }
      }
    }
  }
  return Int32Array.from(pairs);
}

/**
 * Any number of rows: the same network for the next power of two, applied a comparator at a time
 * across all columns, with comparators that touch a missing wire dropped (a missing wire is +∞ and
 * would never move). Slower than the register version; used only past 16 updates.
 */
function sortColumnsAnyWidth(rows: readonly Int32Array[], length: number, sorted: Int32Array): void {
  let width = 1;
  while (width < rows.length) width *= 2;
  const comparators = batcherComparators(width);
  for (const row of rows) for (let k = 0; k < length; k++) row[k] ^= (row[k] >> 31) & 0x7fffffff;
  for (let c = 0; c < comparators.length; c += 2) {
    if (comparators[c + 1] >= rows.length) continue;
    const low = rows[comparators[c]];
    const high = rows[comparators[c + 1]];
    for (let k = 0; k < length; k++) {
      const a = low[k];
      const b = high[k];
      const t = (a ^ b) & -(b < a);
      low[k] = a ^ t;
      high[k] = b ^ t;
    }
  }
  rows.forEach((row, j) => {
    for (let k = 0; k < length; k++) sorted[k * rows.length + j] = row[k] ^ ((row[k] >> 31) & 0x7fffffff);
  });
}

/**
 * Sorts the first `length` columns of `rows` (float32 rows viewed as int32 over their memory):
 * afterwards sorted[k · rows.length + j] holds the bits of the j-th smallest value of column k
 * (view it as Float32Array). The generic network sorts `rows` in place on the way; the 16-row one
 * leaves them as they were. Exactly 16 rows take the register network, so callers with fewer pad
 * up to 16 with −Infinity and +Infinity rows, which sort to the ends (see `lowPadding`).
 */
export function sortColumns(rows: readonly Int32Array[], length: number, sorted: Int32Array): void {
  if (rows.length === NETWORK_WIDTH) sortColumns16(rows, length, sorted);
  else sortColumnsAnyWidth(rows, length, sorted);
}

/** How many −Infinity rows pad `count` real rows up to the network width (0 past it). */
export function lowPadding(count: number): number {
  return count < NETWORK_WIDTH ? Math.floor((NETWORK_WIDTH - count) / 2) : 0;
}

/** Rows to allocate for `count` real rows: the network width, or `count` past it. */
export function paddedRowCount(count: number): number {
  return Math.max(count, NETWORK_WIDTH);
}
