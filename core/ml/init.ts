import { placeLayout, type ParameterLayout } from '../tensor/index.ts';
import { SeededRandom, type Seed } from './random.ts';
import { layoutFor, resolveModelSpec, type ModelSpec, type ModelSpecLike } from './spec.ts';

/**
 * Glorot-uniform kernels and zero biases drawn from our own seeded generator (tfjs initialisers
 * are not seeded the same way everywhere), so every machine starts from bit-identical weights.
 */
export function initialParams(specInput: ModelSpecLike, seed: Seed): { layout: ParameterLayout; params: Float32Array; spec: ModelSpec } {
  const spec = resolveModelSpec(specInput);
  const layout = layoutFor(spec);
  const placed = placeLayout(layout);
  const params = new Float32Array(placed.reduce((total, entry) => total + entry.size, 0));
  for (const entry of placed) {
    if (entry.shape.length === 1) continue;
    const receptive = entry.shape.slice(0, -2).reduce((product, dim) => product * dim, 1);
    const fanIn = receptive * entry.shape[entry.shape.length - 2];
    const fanOut = receptive * entry.shape[entry.shape.length - 1];
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const random = new SeededRandom(seed, 'init', spec.name, entry.name);
    for (let i = 0; i < entry.size; i++) params[entry.offset + i] = (2 * random.next() - 1) * limit;
  }
  return { layout, params, spec };
}
