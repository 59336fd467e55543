import { readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Hex } from 'viem';
import { writeFileAtomic } from '../files/index.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './checkpoint.ts';
import { CheckpointCorruptError, CheckpointNotFoundError } from './errors.ts';

const HASH_PATTERN = /^0x[0-9a-f]{64}$/;
const SUFFIX = '.ckpt';

/**
 * Content-addressed checkpoint files: `<dir>/<modelHash>.ckpt`. Writes are atomic (temp file then
 * rename), so a crash never leaves a half-written checkpoint under a valid name; reads verify.
 */
export class CheckpointStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Stores a checkpoint and returns its model hash (idempotent). */
  async put(checkpoint: Checkpoint): Promise<Hex> {
    const bytes = encodeCheckpoint(checkpoint);
    await this.writeAtomically(checkpoint.modelHash, bytes);
    return checkpoint.modelHash;
  }

  /** Stores bytes received from elsewhere after verifying they are the checkpoint `hash`. */
  async putBytes(hash: Hex, bytes: Uint8Array): Promise<Checkpoint> {
    const checkpoint = decodeCheckpoint(bytes, hash);
    await this.writeAtomically(checkpoint.modelHash, bytes);
    return checkpoint;
  }

  /** Loads and verifies a checkpoint; refuses one whose contents do not hash to `hash`. */
  async get(hash: Hex): Promise<Checkpoint> {
    return decodeCheckpoint(await this.getBytes(hash), hash);
  }

  /** The stored bytes, as they would be served to a peer (the receiver verifies them). */
  async getBytes(hash: Hex): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.pathOf(hash)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CheckpointNotFoundError(hash, this.dir);
      throw error;
    }
  }

  /** Removes a stored checkpoint (one found damaged, so that it is fetched again); absent is fine. */
  async delete(hash: Hex): Promise<void> {
    await rm(this.pathOf(hash), { force: true });
  }

  async has(hash: Hex): Promise<boolean> {
    try {
      return (await stat(this.pathOf(hash))).isFile();
    } catch {
      return false;
    }
  }

  /** Hashes of all stored checkpoints, sorted. */
  async list(): Promise<Hex[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names
      .filter((name) => name.endsWith(SUFFIX) && HASH_PATTERN.test(name.slice(0, -SUFFIX.length)))
      .map((name) => name.slice(0, -SUFFIX.length) as Hex)
      .sort();
  }

  private async writeAtomically(hash: Hex, bytes: Uint8Array): Promise<void> {
    await writeFileAtomic(this.pathOf(hash), bytes);
  }

  private pathOf(hash: Hex): string {
    const name = String(hash).toLowerCase();
    if (!HASH_PATTERN.test(name)) {
      throw new CheckpointCorruptError(`"${hash}" is not a checkpoint hash (0x followed by 64 hex digits)`, hash);
    }
    return join(this.dir, `${name}${SUFFIX}`);
  }
}
