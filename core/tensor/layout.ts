import { InvalidParametersError } from './errors.ts';

/** One named tensor of a model, in the order it takes in the flat parameter vector. */
export interface ParameterEntry {
  readonly name: string;
  readonly shape: readonly number[];
}

/** The ordered names and shapes that map a model to one Float32Array and back. */
export type ParameterLayout = readonly ParameterEntry[];

/** A layout entry with its position in the flat vector. */
export interface PlacedParameter extends ParameterEntry {
  readonly offset: number;
  readonly size: number;
}

/** Number of scalars a tensor of `shape` holds. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/** Checks names are unique and non-empty and dimensions are positive integers. */
export function validateLayout(layout: ParameterLayout): void {
  if (!Array.isArray(layout) || layout.length === 0) {
    throw new InvalidParametersError('a parameter layout must be a non-empty array of { name, shape }', layout);
  }
  const seen = new Set<string>();
  for (const entry of layout) {
    if (typeof entry?.name !== 'string' || entry.name.length === 0) {
      throw new InvalidParametersError(`layout entry has no name: ${JSON.stringify(entry)}`, entry);
    }
    if (seen.has(entry.name)) {
      throw new InvalidParametersError(`layout names "${entry.name}" twice; names must be unique`, entry);
    }
    seen.add(entry.name);
    if (!Array.isArray(entry.shape) || entry.shape.some((dim: unknown) => !Number.isInteger(dim) || (dim as number) <= 0)) {
      throw new InvalidParametersError(
        `layout entry "${entry.name}" has shape ${JSON.stringify(entry.shape)}; dimensions must be positive integers`,
        entry,
      );
    }
  }
}

/** Total number of scalars in the flat vector of `layout`. */
export function layoutSize(layout: ParameterLayout): number {
  return layout.reduce((total, entry) => total + shapeSize(entry.shape), 0);
}

/** Each entry with its offset and size in the flat vector, in layout order. */
export function placeLayout(layout: ParameterLayout): PlacedParameter[] {
  let offset = 0;
  return layout.map((entry) => {
    const size = shapeSize(entry.shape);
    const placed = { name: entry.name, shape: entry.shape, offset, size };
    offset += size;
    return placed;
  });
}

/**
 * Refuses a vector that does not fit `layout` or holds NaN/Inf: such a vector would poison
 * aggregation and the hash chain, so it must never get past the first function that sees it.
 */
export function assertParameters(layout: ParameterLayout, params: Float32Array, what = 'parameter vector'): void {
  if (!(params instanceof Float32Array)) {
    throw new InvalidParametersError(`${what} must be a Float32Array, got ${Object.prototype.toString.call(params)}`, params);
  }
  const expected = layoutSize(layout);
  if (params.length !== expected) {
    throw new InvalidParametersError(
      `${what} has ${params.length} values but the layout needs ${expected}; it belongs to another model`,
      params.length,
    );
  }
  assertFinite(params, what);
}

/** Refuses NaN and ±Infinity, naming the first offending index. */
export function assertFinite(values: Float32Array, what = 'parameter vector'): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new InvalidParametersError(`${what} holds ${values[i]} at index ${i}; only finite values are accepted`, values[i]);
    }
  }
}

/** Two layouts are the same when names and shapes match in order. */
export function sameLayout(a: ParameterLayout, b: ParameterLayout): boolean {
  return (
    a.length === b.length &&
    a.every((entry, i) => entry.name === b[i].name && entry.shape.length === b[i].shape.length && entry.shape.every((dim, j) => dim === b[i].shape[j]))
  );
}
