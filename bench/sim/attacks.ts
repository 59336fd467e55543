import { NUM_CLASSES, type Dataset } from '../../core/ml/index.ts';
import { attackNames, type AttackName } from './attack-names.ts';
import { SimulationError } from './errors.ts';

export { attackNames, type AttackName };

/**
 * Inner-product manipulation's ε when none is given: the small one of Xie et al. (2019), which
 * hides the attack near the honest cluster where distance-based rules look for outliers.
 */
export const DEFAULT_IPM_EPSILON = 0.1;

/** How strong the attacks are; defaults are the usual ones from the literature. */
export interface AttackOptions {
  /** signflip sends −scale × its own honest update. */
  signflipScale: number;
  /** ALIE shifts the honest mean by z standard deviations; undefined = z_max for (peers, attackers). */
  alieZ?: number;
  /** IPM sends −ε × the honest mean; undefined = DEFAULT_IPM_EPSILON. */
  ipmEpsilon?: number;
}

export interface AttackInput {
  /** This round's honest updates as the attackers receive them on gossip (attackers see everything). */
  honest: readonly Float32Array[];
  /** What each attacker trained on its own shard (labelflip: on its poisoned shard); signflip and labelflip read it. */
  own: readonly Float32Array[];
  attackers: number;
  /** Total peers in the round, honest and malicious (ALIE's z_max depends on it). */
  peers: number;
  /** Seeded normal draws for the gaussian attack (core/ml's SeededRandom fits). */
  random: { normal(): number };
}

/** signflip and labelflip start from the attacker's own training; the others only watch the gossip. */
export function attackNeedsOwnUpdate(attack: AttackName): boolean {
  return attack === 'signflip' || attack === 'labelflip';
}

/**
 * The data an attacker trains on: for labelflip its shard with every label y relabelled 9 − y (the
 * data poisoning of Tolpegin et al., 2020: training itself stays honest), otherwise its shard.
 */
export function attackerTrainingData(attack: AttackName, shard: Dataset): Dataset {
  if (attack !== 'labelflip') return shard;
  return { ...shard, labels: shard.labels.map((label) => NUM_CLASSES - 1 - label) };
}

/**
 * The standard z_max of "A Little Is Enough" (Baruch et al., 2019): with s = ⌊n/2 + 1⌋ − f honest
 * peers the attackers must win over, z_max = Φ⁻¹((n − s) / n). For n = 10, f = 3: Φ⁻¹(0.7) ≈ 0.524.
 */
export function alieZMax(peers: number, attackers: number): number {
  const needed = Math.floor(peers / 2 + 1) - attackers;
  return inverseNormalCdf((peers - needed) / peers);
}

/** The malicious updates of one round, one per attacker. */
export function craftAttack(attack: AttackName, input: AttackInput, options: AttackOptions): Float32Array[] {
  const { honest, attackers } = input;
  if (honest.length === 0) throw new SimulationError('an attack needs at least one honest update to observe', honest.length);
  const length = honest[0].length;
  switch (attack) {
    case 'signflip': {
      if (input.own.length !== attackers) {
        throw new SimulationError(`signflip needs each attacker's own update: got ${input.own.length} for ${attackers} attackers`, input.own.length);
      }
      return input.own.map((update) => scaled(update, -options.signflipScale));
    }
    case 'labelflip': {
      if (input.own.length !== attackers) {
        throw new SimulationError(`labelflip needs each attacker's update trained on flipped labels: got ${input.own.length} for ${attackers} attackers`, input.own.length);
      }
      return input.own.map((update) => Float32Array.from(update));
    }
    case 'ipm': {
      // Xie et al. (2019), "Fall of Empires": every attacker sends −ε × the mean of the honest updates.
      const mean = meanMinusZStd(honest, 0);
      const reversed = scaled(mean, -(options.ipmEpsilon ?? DEFAULT_IPM_EPSILON));
      return Array.from({ length: attackers }, () => Float32Array.from(reversed));
    }
    case 'gaussian': {
      const norm = honest.reduce((sum, update) => sum + l2Norm(update), 0) / honest.length;
      return Array.from({ length: attackers }, () => {
        const noise = new Float32Array(length);
        for (let i = 0; i < length; i++) noise[i] = input.random.normal();
        return scaled(noise, norm / l2Norm(noise));
      });
    }
    case 'zero':
      return Array.from({ length: attackers }, () => new Float32Array(length));
    case 'copy':
      // Each free-rider re-sends a different honest peer's update byte for byte.
      return Array.from({ length: attackers }, (_, i) => Float32Array.from(honest[i % honest.length]));
    case 'alie': {
      const z = options.alieZ ?? alieZMax(input.peers, attackers);
      const shifted = meanMinusZStd(honest, z);
      // Colluding attackers all send the same vector, as in the paper.
      return Array.from({ length: attackers }, () => Float32Array.from(shifted));
    }
    default:
      throw new SimulationError(`unknown attack "${String(attack)}"; known: ${attackNames.join(', ')}`, attack);
  }
}

/** Coordinate-wise mean − z · (population) standard deviation of `updates`. */
export function meanMinusZStd(updates: readonly Float32Array[], z: number): Float32Array {
  const count = updates.length;
  const length = updates[0].length;
  const result = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    let sum = 0;
    for (const update of updates) sum += update[i];
    const mean = sum / count;
    let squares = 0;
    for (const update of updates) squares += (update[i] - mean) ** 2;
    result[i] = mean - z * Math.sqrt(squares / count);
  }
  return result;
}

export function l2Norm(values: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return Math.sqrt(sum);
}

function scaled(values: Float32Array, factor: number): Float32Array {
  const result = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) result[i] = values[i] * factor;
  return result;
}

/** Φ⁻¹(p) by Acklam's rational approximation (relative error < 1.2e-9), enough for an attack strength. */
function inverseNormalCdf(p: number): number {
  if (!(p > 0 && p < 1)) throw new SimulationError(`inverse normal CDF needs 0 < p < 1, got ${p}`, p);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -inverseNormalCdf(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}
