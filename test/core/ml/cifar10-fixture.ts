import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CIFAR10_RECORD_BYTES, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES } from '../../../core/ml/index.ts';

/**
 * Writes the six CIFAR-10 binary batch files into `dir`, `perFile` records each, in the official
 * layout (label byte, then the R, G and B planes of 32×32). The images are learnable: a class's
 * red plane is brighter the higher its label, its blue plane a class-dependent stripe, plus noise.
 */
export async function writeCifar10Fixture(dir: string, perFile: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const files = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE];
  let state = 12345;
  const noise = (): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % 32;
  };
  for (const [fileIndex, file] of files.entries()) {
    const bytes = new Uint8Array(perFile * CIFAR10_RECORD_BYTES);
    for (let record = 0; record < perFile; record++) {
      const label = (record + fileIndex) % 10;
      const start = record * CIFAR10_RECORD_BYTES;
      bytes[start] = label;
      for (let pixel = 0; pixel < 1024; pixel++) {
        bytes[start + 1 + pixel] = label * 22 + noise();
        bytes[start + 1 + 1024 + pixel] = 128 + noise();
        bytes[start + 1 + 2048 + pixel] = Math.floor(pixel / 32) % (label + 1) === 0 ? 220 : noise();
      }
    }
    await writeFile(join(dir, file), bytes);
  }
}
