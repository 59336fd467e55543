// Runs gradnet's TypeScript on Node's own type stripping: an in-thread load hook hands every
// project .ts file to module.stripTypeScriptTypes, and caches the result. That is far cheaper than
// tsx's hooks, which also inspect every file of viem, ethers and libp2p (`gradnet wallet list`
// went from 0.7 s to 0.3 s). Files that only erase types keep their exact positions; the few with
// TypeScript-only runtime syntax (parameter properties) are transformed and carry a source map.
// Consequence: a type must be imported with `import type` (what tsc's verbatimModuleSyntax
// enforces), because stripping cannot tell types from values; test/cli/commands.test.ts loads
// every command's implementation under this hook. Tests and tools keep tsx (`node --import tsx`);
// so does a Node without these APIs.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Stripped files by content, like tsx's cache: the stripper's start (~40 ms) and its work are paid once per change.
const CACHE_DIR = join(tmpdir(), `gradnet-ts-${process.getuid?.() ?? 'user'}`);

export async function loadTypeScript() {
  if (typeof module.registerHooks !== 'function' || typeof module.stripTypeScriptTypes !== 'function') {
    const { register } = await import('tsx/esm/api');
    register();
    return;
  }
  // Stack traces through the transformed files point at their TypeScript lines.
  process.setSourceMapsEnabled(true);
  module.registerHooks({ load: loadTypeScriptFile });
}

function loadTypeScriptFile(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts') || url.includes('/node_modules/')) return nextLoad(url, context);
  const source = readFileSync(new URL(url), 'utf8');
  return { format: 'module', source: cachedStripTypes(source, url), shortCircuit: true };
}

function cachedStripTypes(source, url) {
  const file = join(CACHE_DIR, `${createHash('sha256').update(`${process.version}\0${url}\0${source}`).digest('hex')}.js`);
  try {
    return readFileSync(file, 'utf8');
  } catch {
    // not cached yet
  }
  const stripped = stripTypes(source, url);
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    writeFileSync(`${file}.${process.pid}`, stripped);
    renameSync(`${file}.${process.pid}`, file);
  } catch {
    // a read-only or full temp directory only costs the next start the stripping again
  }
  return stripped;
}

function stripTypes(source, url) {
  try {
    return module.stripTypeScriptTypes(source, { mode: 'strip', sourceUrl: url });
  } catch (error) {
    if (error?.code !== 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX') throw error;
    return module.stripTypeScriptTypes(source, { mode: 'transform', sourceMap: true, sourceUrl: url });
  }
}
