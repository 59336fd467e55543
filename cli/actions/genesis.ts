import type { Hex } from 'viem';
import { DEFAULT_DATASET, initialParams, type DatasetName, type ModelName } from '../../core/ml/index.ts';
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
  dataset?: DatasetName;
  json?: boolean;
}

/** The hash of round 0 for `model` on `dataset` initialised with `seed`: what the RoundLedger must be deployed with. */
export function genesisHashOf(model: ModelName = DEFAULT_GENESIS_MODEL.model, seed: number = DEFAULT_GENESIS_MODEL.seed, dataset: DatasetName = DEFAULT_DATASET): Hex {
  return genesisCheckpoint(initialParams({ name: model, dataset }, seed)).modelHash;
}

/**
 * The genesis a deploying command asks for: `--genesis-hash` when given (then --model and
 * --model-seed must not be), else the hash of --model/--model-seed (their defaults filling in).
 */
export function chosenGenesis(flags: { genesisHash?: Hex; model?: ModelName; modelSeed?: number; dataset?: DatasetName }): { hash: Hex; from: string } {
  if (flags.genesisHash !== undefined) {
    if (flags.model !== undefined || flags.modelSeed !== undefined || flags.dataset !== undefined) {
      throw new CliError('GENESIS_FLAGS_CONFLICT', 'pass either --genesis-hash or --model/--model-seed/--dataset, not both: the hash is computed from the model, seed and dataset');
    }
    return { hash: flags.genesisHash, from: '--genesis-hash' };
  }
  const model = flags.model ?? DEFAULT_GENESIS_MODEL.model;
  const seed = flags.modelSeed ?? DEFAULT_GENESIS_MODEL.seed;
  const dataset = flags.dataset ?? DEFAULT_DATASET;
  return { hash: genesisHashOf(model, seed, dataset), from: `model ${model}, seed ${seed}, dataset ${dataset}` };
}

/** `gradnet genesis`: prints the genesis model hash of a model and seed. */
export function printGenesis(flags: GenesisFlags): void {
  const model = flags.model ?? DEFAULT_GENESIS_MODEL.model;
  const seed = flags.modelSeed ?? DEFAULT_GENESIS_MODEL.seed;
  const dataset = flags.dataset ?? DEFAULT_DATASET;
  const hash = genesisHashOf(model, seed, dataset);
  process.stdout.write(flags.json === true ? `${JSON.stringify({ model, seed, dataset, genesisHash: hash })}\n` : `${hash}\n`);
}
