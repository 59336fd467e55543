import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackendError, currentBackend, evaluate, initBackend, initialParams } from '../../../core/ml/index.ts';

describe('initBackend', () => {
  it('is started implicitly (auto-selected) by the first evaluate when nobody called it', async () => {
    const { params } = initialParams('mlp', 1);
    const data = { images: new Uint8Array(784 * 2), labels: Uint8Array.from([3, 4]), size: 2 };
    const { examples } = await evaluate({ spec: 'mlp', params, data });
    assert.equal(examples, 2);
    assert.equal(currentBackend(), 'wasm');
  });

  it('auto-selects the best available backend and says why (tfjs-node is not installed here)', async () => {
    const logged: { details: Record<string, unknown>; message: string }[] = [];
    const choice = await initBackend(undefined, { env: {}, logger: { info: (details, message) => logged.push({ details, message }) } });
    assert.equal(choice.backend, 'wasm');
    assert.match(choice.reason, /^auto \(tensorflow unavailable: .*npm install @tensorflow\/tfjs-node/);
    assert.equal(currentBackend(), 'wasm');
    assert.deepEqual(logged, [{ details: { backend: 'wasm', reason: choice.reason }, message: 'ml backend: wasm' }]);
  });

  it('lets GRADNET_BACKEND override auto-selection, and an explicit argument override both', async () => {
    assert.deepEqual(await initBackend(undefined, { env: { GRADNET_BACKEND: 'cpu' } }), { backend: 'cpu', reason: 'GRADNET_BACKEND' });
    assert.equal(currentBackend(), 'cpu');
    assert.deepEqual(await initBackend('wasm', { env: { GRADNET_BACKEND: 'cpu' } }), { backend: 'wasm', reason: 'requested' });
    assert.equal(currentBackend(), 'wasm');
  });

  it('refuses an unknown GRADNET_BACKEND and a requested backend that is not installed', async () => {
    await assert.rejects(initBackend(undefined, { env: { GRADNET_BACKEND: 'webgpu' } }), (error: unknown) => {
      assert.ok(error instanceof BackendError);
      assert.match(error.message, /GRADNET_BACKEND="webgpu" is not a backend; use one of tensorflow, wasm, cpu or auto/);
      return true;
    });
    await assert.rejects(initBackend('tensorflow'), /npm install @tensorflow\/tfjs-node/);
    await initBackend('wasm');
  });
});

describe('process handlers', () => {
  it('leaves no handler of the wasm module that would rethrow the application\'s errors', async () => {
    await initBackend('wasm');
    assert.equal(process.listeners('unhandledRejection').some((listener) => /throw reason/.test(String(listener))), false);
    assert.equal(process.listeners('uncaughtException').some((listener) => /ExitStatus/.test(String(listener))), false);
  });
});
