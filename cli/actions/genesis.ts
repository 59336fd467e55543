import type { Hex } from 'viem';
import { initialParams, type ModelName } from '../../core/ml/index.ts';
import { genesisCheckpoint } from '../../core/tensor/index.ts';
import { CliError } from '../support/errors.ts';

/**
 * The model a deployment starts from when no flag names one: the coordinator's own defaults
 * (coordinator/config.ts, checked by test/cli/genesis.test.ts), so that `gradnet devnet` (or
 * `gradnet deploy`) followed by `gradnet coordinator` needs no extra flag.
 */
export const DEFAULT_GENESIS_MODEL = { model: 'mlp', seed: 1 } as const satisfies { model: ModelName; seed: number };

export interface GenesisFlags {
  model?: ModelName;
  modelSeed?: number;
  json?: boolean;
}

/** The hash of round 0 for `model` initialised with `seed`: what the RoundLedger must be deployed with. */
export function genesisHashOf(model: ModelName = DEFAULT_GENESIS_MODEL.model, seed: number = DEFAULT_GENESIS_MODEL.seed): Hex {
  return genesisCheckpoint(initialParams(model, seed)).modelHash;
}

/**
 * The genesis a deploying command asks for: `--genesis-hash` when given (then --model and
 * --model-seed must not be), else the hash of --model/--model-seed (their defaults filling in).
 */
export function chosenGenesis(flags: { genesisHash?: Hex; model?: ModelName; modelSeed?: number }): { hash: Hex; from: string } {
  if (flags.genesisHash !== undefined) {
    if (flags.model !== undefined || flags.modelSeed !== undefined) {
      throw new CliError('GENESIS_FLAGS_CONFLICT', 'pass either --genesis-hash or --model/--model-seed, not both: the hash is computed from the model and seed');
    }
    return { hash: flags.genesisHash, from: '--genesis-hash' };
  }
  const model = flags.model ?? DEFAULT_GENESIS_MODEL.model;
  const seed = flags.modelSeed ?? DEFAULT_GENESIS_MODEL.seed;
  return { hash: genesisHashOf(model, seed), from: `model ${model}, seed ${seed}` };
}

/** `gradnet genesis`: prints the genesis model hash of a model and seed. */
export function printGenesis(flags: GenesisFlags): void {
  const model = flags.model ?? DEFAULT_GENESIS_MODEL.model;
  const seed = flags.modelSeed ?? DEFAULT_GENESIS_MODEL.seed;
  const hash = genesisHashOf(model, seed);
  process.stdout.write(flags.json === true ? `${JSON.stringify({ model, seed, genesisHash: hash })}\n` : `${hash}\n`);
}
