import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getAddress, type Address } from 'viem';
import { z } from 'zod';
import { writeFileAtomic } from '../files/index.ts';
import { DeploymentsError } from './errors.ts';

/** The gradnet contracts, by the names tools look them up with (the timelock holds every admin role). */
export const CONTRACT_NAMES = ['GradToken', 'NodeRegistry', 'RoundLedger', 'RewardVault', 'RoundChallenges', 'GradnetTimelock'] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

export interface DeployedContract {
  address: Address;
  blockNumber: number;
}

/** The address book `deployments/<chainId>.json`. */
export interface Deployments {
  chainId: number;
  contracts: Record<ContractName, DeployedContract>;
}

const addressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'an 0x-prefixed 20-byte address').transform((value) => getAddress(value));
const contractSchema = z.object({ address: addressSchema, blockNumber: z.number().int().nonnegative() });
const deploymentsSchema = z.object({
  chainId: z.number().int().positive(),
  contracts: z.object({
    GradToken: contractSchema,
    NodeRegistry: contractSchema,
    RoundLedger: contractSchema,
    RewardVault: contractSchema,
    RoundChallenges: contractSchema,
    GradnetTimelock: contractSchema,
  }),
});

/** The repository's deployments/ folder (independent of the working directory). */
export const DEFAULT_DEPLOYMENTS_DIR = fileURLToPath(new URL('../../deployments/', import.meta.url));

/** Where the address book of `chainId` lives by default. */
export function deploymentsFile(chainId: number, dir: string = DEFAULT_DEPLOYMENTS_DIR): string {
  return join(dir, `${chainId}.json`);
}

/** Checks an unknown value against the agreed shape; `source` names it in errors. */
export function parseDeployments(value: unknown, source: string): Deployments {
  const result = deploymentsSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new DeploymentsError(source, `not a gradnet deployments file: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return result.data as Deployments;
}

/** Reads and validates the address book of `chainId` (from `file`, default deployments/<chainId>.json). */
export async function loadDeployments(chainId: number, file: string = deploymentsFile(chainId)): Promise<Deployments> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new DeploymentsError(file, `cannot read the deployments of chain ${chainId}`, cause);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new DeploymentsError(file, 'is not valid JSON', cause);
  }
  const deployments = parseDeployments(json, file);
  if (deployments.chainId !== chainId) {
    throw new DeploymentsError(file, `is for chain ${deployments.chainId}, not chain ${chainId}`);
  }
  return deployments;
}

/**
 * Writes the address book atomically: a temporary file in the same folder, then a rename, so
 * a reader sees the old file or the new one, never half of one.
 */
export async function writeDeployments(deployments: Deployments, file: string = deploymentsFile(deployments.chainId)): Promise<string> {
  const checked = parseDeployments(deployments, file);
  const ordered = {
    chainId: checked.chainId,
    contracts: Object.fromEntries(CONTRACT_NAMES.map((name) => [name, checked.contracts[name]])),
  };
  try {
    await writeFileAtomic(file, `${JSON.stringify(ordered, null, 2)}\n`);
  } catch (cause) {
    throw new DeploymentsError(file, 'could not be written', cause);
  }
  return file;
}
