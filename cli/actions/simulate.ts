import { writeFile } from 'node:fs/promises';
import { loadSimulator, parseShardLayout, type AttackName } from '../../bench/index.ts';
import type { CodecId, DatasetName } from '../../core/defaults/index.ts';
import { CliError } from '../support/errors.ts';

export interface SimulateFlags {
  peers: number;
  malicious: number;
  attack: AttackName;
  rule: string;
  shards: string;
  dataset: DatasetName;
  datasetDir?: string;
  model: 'mlp' | 'cnn';
  rounds: number;
  innerSteps: number;
  codec: CodecId;
  seed: number;
  json?: string;
  png?: string;
}

/** `--rule`: a rule name or 'default' as given, or a JSON object `{ "rule": …, …params }`. */
function ruleOf(text: string): unknown {
  if (!text.trim().startsWith('{')) return text;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError('SIMULATE_RULE', `--rule ${text} is not valid JSON (${(error as Error).message}); give a rule name or an object such as {"rule":"multiKrum","f":3}`, { value: text });
  }
}

/** `gradnet simulate`: runs the simulation, prints its table, writes the JSON (and PNG) it is asked for. */
export async function runSimulate(flags: SimulateFlags): Promise<void> {
  if (flags.malicious >= flags.peers) {
    throw new CliError('SIMULATE_MALICIOUS', `--malicious ${flags.malicious} leaves no honest peer among --peers ${flags.peers}; give fewer attackers or more peers`, { value: flags.malicious });
  }
  const { simulate, resolveRule } = await loadSimulator();
  const rule = resolveRule(ruleOf(flags.rule));
  const result = await simulate({
    ...flags,
    rule,
    shards: parseShardLayout(flags.shards),
    dataDir: flags.datasetDir,
    jsonFile: flags.json,
    pngFile: flags.png,
    print: (line) => process.stdout.write(`${line}\n`),
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  if (flags.json !== undefined) await writeFile(flags.json, `${JSON.stringify(result, null, 2)}\n`);
}
