// Runs gradnet's TypeScript on Node's own type stripping: an in-thread load hook hands every
// project .ts file to module.stripTypeScriptTypes. That is far cheaper than tsx's hooks, which
// also inspect every file of viem, ethers and libp2p (`gradnet wallet list` 0.4 s instead of 0.7 s).
// Files that only erase types keep their exact positions; the few with TypeScript-only runtime
// syntax (parameter properties) are transformed and carry a source map. Consequence: a type must
// be imported with `import type` (what tsc's verbatimModuleSyntax enforces), because stripping
// cannot tell types from values; test/cli/loader.test.ts loads every command under this hook.
// Tests and tools keep tsx (`node --import tsx`); so does a Node without these APIs.
import module from 'node:module';
import { readFileSync } from 'node:fs';

export async function loadTypeScript() {
  if (typeof module.registerHooks !== 'function' || typeof module.stripTypeScriptTypes !== 'function') {
    const { register } = await import('tsx/esm/api');
    register();
    return;
  }
  module.registerHooks({ load: loadTypeScriptFile });
}

function loadTypeScriptFile(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts') || url.includes('/node_modules/')) return nextLoad(url, context);
  const source = readFileSync(new URL(url), 'utf8');
  return { format: 'module', source: stripTypes(source, url), shortCircuit: true };
}

function stripTypes(source, url) {
  try {
    return module.stripTypeScriptTypes(source, { mode: 'strip', sourceUrl: url });
  } catch (error) {
    if (error?.code !== 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX') throw error;
    return module.stripTypeScriptTypes(source, { mode: 'transform', sourceMap: true, sourceUrl: url });
  }
}
