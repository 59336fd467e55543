import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes `content` to `file` through a temporary sibling and a rename, so that a crash
 * leaves either the old file or the new one, never half of one. With `exclusive` the
 * rename is refused when `file` already exists (a keystore is never overwritten).
 */
export async function writeFileAtomic(
  file: string,
  content: string | Uint8Array,
  options: { mode?: number; dirMode?: number; exclusive?: boolean } = {},
): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: options.dirMode ?? 0o755 });
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', options.mode ?? 0o644);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (options.exclusive === true) {
      // link() fails with EEXIST instead of replacing, which rename() would do silently.
      await link(temporary, file);
      await rm(temporary);
    } else {
      await rename(temporary, file);
    }
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
