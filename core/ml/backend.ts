import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { registerFastGradients } from './gradients.ts';
import { BackendError } from './errors.ts';

/** tfjs backends gradnet can run on: 'tensorflow' is tfjs-node (native TensorFlow). */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

export interface BackendChoice {
  readonly backend: BackendName;
  /** Why this one: "requested", "GRADNET_BACKEND", or "auto (…)". */
  readonly reason: string;
}

/** Anything with pino's `info(object, message)` shape. */
export interface BackendLogger {
  info(details: Record<string, unknown>, message: string): void;
}

export interface InitBackendOptions {
  readonly logger?: BackendLogger;
  /** Where GRADNET_BACKEND is read from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A module name in a variable keeps TypeScript from demanding types for an optional package. */
const TFJS_NODE = '@tensorflow/tfjs-node';

/**
 * Picks and starts the tensor backend: the explicit `preferred` argument, else GRADNET_BACKEND,
 * else the best available (tfjs-node if installed, then wasm with SIMD, then cpu). An explicitly
 * requested backend that fails to start is an error; auto-detection falls through to the next.
 * Also registers the Conv2D and MaxPool gradients the wasm backend needs and switches tfjs to production mode.
 */
export async function initBackend(preferred?: BackendName | 'auto', options: InitBackendOptions = {}): Promise<BackendChoice> {
  const env = options.env ?? process.env;
  const fromEnv = env.GRADNET_BACKEND?.trim().toLowerCase();
  const requested = preferred && preferred !== 'auto' ? preferred : fromEnv && fromEnv !== 'auto' ? normalise(fromEnv) : undefined;
  tf.enableProdMode();
  registerFastGradients();
  let choice: BackendChoice;
  if (requested) {
    await startBackend(requested);
    choice = { backend: requested, reason: preferred && preferred !== 'auto' ? 'requested' : 'GRADNET_BACKEND' };
  } else {
    choice = await autoSelect();
  }
  options.logger?.info({ backend: choice.backend, reason: choice.reason }, `ml backend: ${choice.backend}`);
  initialised = Promise.resolve(choice);
  return choice;
}

let initialised: Promise<BackendChoice> | undefined;

/**
 * Starts the auto-selected backend unless initBackend already ran, so that trainLocal and evaluate
 * never fall back to tfjs's default (stock cpu, without the gradients above) by accident.
 */
export function ensureBackend(): Promise<BackendChoice> {
  initialised ??= initBackend().catch((error: unknown) => {
    initialised = undefined;
    throw error;
  });
  return initialised;
}

/** The backend tfjs is currently using, if one was started. */
export function currentBackend(): string | undefined {
  try {
    return tf.getBackend();
  } catch {
    return undefined;
  }
}

async function autoSelect(): Promise<BackendChoice> {
  const skipped: string[] = [];
  for (const candidate of BACKEND_NAMES) {
    try {
      await startBackend(candidate);
      return { backend: candidate, reason: skipped.length ? `auto (${skipped.join('; ')})` : 'auto' };
    } catch (error) {
      skipped.push(`${candidate} unavailable: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new BackendError(`no tensor backend could start: ${skipped.join('; ')}`, skipped);
}

function normalise(name: string): BackendName {
  const aliased = name === 'node' || name === 'tfjs-node' ? 'tensorflow' : name;
  if (!BACKEND_NAMES.includes(aliased as BackendName)) {
    throw new BackendError(`GRADNET_BACKEND="${name}" is not a backend; use one of ${BACKEND_NAMES.join(', ')} or auto`, name);
  }
  return aliased as BackendName;
}

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
type ProcessListener = (...args: unknown[]) => void;

function processListeners(event: (typeof PROCESS_EVENTS)[number]): ProcessListener[] {
  return (process as unknown as { listeners(name: string): ProcessListener[] }).listeners(event);
}

async function startBackend(name: BackendName): Promise<void> {
  if (tf.findBackend(name) === null || tf.findBackend(name) === undefined) await loadBackendPackage(name);
  // The wasm module's Emscripten glue adds process handlers that rethrow every uncaught exception
  // and unhandled rejection, overriding the application's own handlers (a daemon that logs and
  // carries on would crash); they are removed again once the backend is up.
  const before = new Map(PROCESS_EVENTS.map((event) => [event, new Set(processListeners(event))]));
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (error) {
    throw new BackendError(`the ${name} backend failed to start: ${(error as Error).message}`, name, { cause: error });
  } finally {
    for (const event of PROCESS_EVENTS) {
      for (const listener of processListeners(event)) {
        if (!before.get(event)?.has(listener)) process.off(event, listener);
      }
    }
  }
  if (!ok) throw new BackendError(`the ${name} backend failed to start`, name);
}

async function loadBackendPackage(name: BackendName): Promise<void> {
  try {
    if (name === 'cpu') {
      await import('@tensorflow/tfjs-backend-cpu');
    } else if (name === 'wasm') {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const dist = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
      // Node has no usable wasm threads for tfjs; the SIMD single-thread binary is the fast one here.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      wasm.setWasmPaths(`${dist}/`);
    } else {
      await import(TFJS_NODE);
    }
  } catch (error) {
    if (error instanceof BackendError) throw error;
    const install = name === 'tensorflow' ? '@tensorflow/tfjs-node' : `@tensorflow/tfjs-backend-${name}`;
    throw new BackendError(`the ${name} backend is not installed (npm install ${install}): ${(error as Error).message}`, name, { cause: error });
  }
}
