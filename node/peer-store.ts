import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isHex, type Hex } from 'viem';
import { writeFileAtomic } from '../core/files/index.ts';
import type { PeerRecord, PeerStore } from '../core/peer/index.ts';
import { DaemonAlreadyRunningError, PeerStateError } from './errors.ts';

const RECORD_FILE = 'signed-update.json';
const LOCK_FILE = 'daemon.lock';

/**
 * The peer store on disk: `<dataDir>/signed-update.json`, replaced atomically and synced (file and
 * directory) before the update it holds is gossiped. Claimed with pid lock files, one in the data
 * directory and one per node key beside the keystores, so that a second daemon on either refuses.
 */
export class FilePeerStore implements PeerStore {
  readonly #dataDir: string;
  readonly #keyLock: { file: string; what: string };
  readonly #held: string[] = [];

  constructor(options: { dataDir: string; nodeKey: Hex; keystoreDir: string }) {
    this.#dataDir = options.dataDir;
    this.#keyLock = { file: join(options.keystoreDir, `node-${options.nodeKey.toLowerCase()}.lock`), what: `node key ${options.nodeKey}` };
  }

  async open(): Promise<PeerRecord | undefined> {
    for (const lock of [{ file: join(this.#dataDir, LOCK_FILE), what: `data directory ${this.#dataDir}` }, this.#keyLock]) {
      try {
        await claim(lock.file, lock.what);
      } catch (error) {
        await this.close();
        throw error;
      }
      this.#held.push(lock.file);
    }
    return this.#read();
  }

  async save(record: PeerRecord): Promise<void> {
    const { update, residual } = record;
    const stored: StoredRecord = {
      version: 1,
      round: update.round,
      baseModelHash: update.baseModelHash,
      digest: update.digest,
      update: Buffer.from(update.bytes).toString('base64'),
      residual: residual === undefined ? null : Buffer.from(residual.buffer, residual.byteOffset, residual.byteLength).toString('base64'),
    };
    await writeFileAtomic(join(this.#dataDir, RECORD_FILE), JSON.stringify(stored));
    // The rename is durable only once the directory entry is on disk too.
    const directory = await open(this.#dataDir, 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }

  async close(): Promise<void> {
    for (const file of this.#held.splice(0)) {
      const holder = await readFile(file, 'utf8').catch(() => '');
      if (Number.parseInt(holder, 10) === process.pid) await rm(file, { force: true });
    }
  }

  async #read(): Promise<PeerRecord | undefined> {
    const file = join(this.#dataDir, RECORD_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new PeerStateError(file, (error as Error).message);
    }
    let stored: StoredRecord;
    try {
      stored = JSON.parse(text) as StoredRecord;
    } catch (error) {
      throw new PeerStateError(file, `not JSON (${(error as Error).message})`);
    }
    if (stored.version !== 1 || !Number.isSafeInteger(stored.round) || !isHex(stored.baseModelHash) || !isHex(stored.digest) || typeof stored.update !== 'string') {
      throw new PeerStateError(file, 'fields missing or malformed');
    }
    const residualBytes = stored.residual === null ? undefined : Buffer.from(stored.residual, 'base64');
    return {
      update: { round: stored.round, baseModelHash: stored.baseModelHash, digest: stored.digest, bytes: new Uint8Array(Buffer.from(stored.update, 'base64')) },
      // Copied so the floats are aligned whatever the Buffer's offset.
      residual: residualBytes === undefined ? undefined : new Float32Array(new Uint8Array(residualBytes).buffer),
    };
  }
}

interface StoredRecord {
  version: 1;
  round: number;
  baseModelHash: Hex;
  digest: Hex;
  /** The signed update's wire bytes, payload inline (base64). */
  update: string;
  /** Float32 little-endian (base64), or null for a lossless codec. */
  residual: string | null;
}

/**
 * Creates `file` holding this process id, atomically. A lock left by a process that is gone (a
 * crash, SIGKILL) is taken over; one held by a live process (this one included) is refused.
 */
async function claim(file: string, what: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFileAtomic(file, `${process.pid}\n`, { exclusive: true });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    if (Number.isSafeInteger(holder) && isAlive(holder)) throw new DaemonAlreadyRunningError(what, holder, file);
    await rm(file, { force: true });
  }
  throw new DaemonAlreadyRunningError(what, Number.parseInt(await readFile(file, 'utf8').catch(() => '0'), 10), file);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
