import { fileURLToPath } from 'node:url';
import { ExplorerError } from './errors.ts';

/** The page's script and style sheet, as served. */
export interface Bundle {
  js: string;
  css: string;
}

const ENTRY = fileURLToPath(new URL('./client/main.tsx', import.meta.url));

/**
 * Bundles explorer/client with esbuild, in memory: preact, uPlot and the page's own code in one
 * script, their styles in one sheet. Nothing is fetched at run time and nothing built is kept in
 * the repository; a server builds once, on its first page request (about a tenth of a second).
 */
export async function buildBundle(): Promise<Bundle> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    outdir: 'explorer-bundle',
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  }).catch((cause: unknown) => {
    throw new ExplorerError('EXPLORER_BUNDLE', `esbuild could not bundle ${ENTRY}: ${(cause as Error).message}; run npm ci to restore esbuild, preact and uplot`, { cause });
  });
  const text = (extension: string): string => result.outputFiles.find((file) => file.path.endsWith(extension))?.text ?? '';
  return { js: text('.js'), css: text('.css') };
}
