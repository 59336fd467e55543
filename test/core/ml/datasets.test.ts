import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CIFAR10_RECORD_BYTES,
  DatasetError,
  evaluate,
  FASHION_MNIST_DIR,
  initBackend,
  initialParams,
  layoutFor,
  loadDataset,
  ModelSpecError,
  referenceLoss,
  resolveModelSpec,
  shardFor,
  trainingEngine,
  trainLocal,
  type DatasetSplits,
} from '../../../core/ml/index.ts';
import { genesisCheckpoint, layoutSize } from '../../../core/tensor/index.ts';
import { validationFingerprint } from '../../../core/audit/index.ts';
import { daemonConfigSchema, loadConfig } from '../../../core/config/index.ts';
import { parseCoordinatorConfig } from '../../../coordinator/index.ts';
import { createLogger } from '../../../core/log/index.ts';
import { Trainer } from '../../../node/trainer.ts';
import { writeCifar10Fixture } from './cifar10-fixture.ts';

const fashionInstalled = existsSync(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
const fashionSkip = fashionInstalled ? false : `Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)`;

let scratch: string;
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'gradnet-datasets-'));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function rejectsWith(pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof DatasetError, `expected a DatasetError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('Fashion-MNIST (Debian dataset-fashion-mnist)', () => {
  it('loads the gzipped IDX files as 55,000 / 5,000 / 10,000 named 28×28 examples, not MNIST', { skip: fashionSkip }, async () => {
    const [fashion, mnist] = await Promise.all([loadDataset('fashion-mnist'), loadDataset('mnist')]);
    assert.deepEqual([fashion.train.size, fashion.validation.size, fashion.test.size], [55_000, 5_000, 10_000]);
    assert.equal(fashion.train.images.length, 55_000 * 784);
    for (const split of [fashion.train, fashion.validation, fashion.test]) assert.equal(split.name, 'fashion-mnist');
    assert.equal(mnist.train.name, undefined, 'MNIST stays unnamed, as every dataset was before');
    assert.notDeepEqual(fashion.test.images.subarray(0, 784), mnist.test.images.subarray(0, 784));
    const shard = shardFor({ data: fashion.train, seed: 1, peers: 10, index: 0, scheme: 'iid' });
    assert.equal(shard.name, 'fashion-mnist', 'a shard keeps the dataset it was cut from');
    // An auditor started on the wrong dataset abstains on the rewards (it does not hold the scored
    // batch) instead of judging an honest round a mismatch.
    assert.notEqual(validationFingerprint(fashion.validation, 500), validationFingerprint(mnist.validation, 500));
  });

  it('names the Debian package to install when its files are missing', async () => {
    await assert.rejects(loadDataset('fashion-mnist', { dataDir: scratch }), rejectsWith(/apt-get install dataset-fashion-mnist/));
  });

  it('refuses an unknown dataset, listing the known ones', async () => {
    await assert.rejects(loadDataset('imagenet' as never), rejectsWith(/unknown dataset "imagenet"; known datasets: mnist, fashion-mnist, cifar10/));
  });
});

describe('CIFAR-10 binary loader', () => {
  let cifarDir: string;
  let cifar: DatasetSplits;

  before(async () => {
    cifarDir = join(scratch, 'cifar');
    await writeCifar10Fixture(cifarDir, 12);
    cifar = await loadDataset('cifar10', { dataDir: cifarDir, validationSize: 10 });
  });

  it('reads five training batches and the test batch into 32×32×3 channels-last examples', () => {
    assert.deepEqual([cifar.train.size, cifar.validation.size, cifar.test.size], [50, 10, 12]);
    assert.deepEqual(cifar.train.shape, { height: 32, width: 32, channels: 3 });
    assert.equal(cifar.train.name, 'cifar10');
    assert.equal(cifar.train.images.length, 50 * 3072);
  });

  it('moves each record from planar R, G, B to channels last', async () => {
    const record = new Uint8Array(CIFAR10_RECORD_BYTES);
    record[0] = 7;
    for (let pixel = 0; pixel < 1024; pixel++) {
      record[1 + pixel] = pixel % 251;
      record[1 + 1024 + pixel] = 1;
      record[1 + 2048 + pixel] = 2;
    }
    const dir = join(scratch, 'one-record');
    await writeCifar10Fixture(dir, 1);
    await writeFile(join(dir, 'test_batch.bin'), record);
    const { test } = await loadDataset('cifar10', { dataDir: dir, validationSize: 1 });
    assert.equal(test.labels[0], 7);
    const pixel = 13 * 32 + 5;
    assert.deepEqual([...test.images.subarray(pixel * 3, pixel * 3 + 3)], [pixel % 251, 1, 2]);
  });

  it('finds the batches in the cifar-10-batches-bin folder the official archive unpacks to', async () => {
    const parent = join(scratch, 'archive');
    await writeCifar10Fixture(join(parent, 'cifar-10-batches-bin'), 3);
    assert.equal((await loadDataset('cifar10', { dataDir: parent, validationSize: 1 })).test.size, 3);
  });

  it('says what is wrong with a missing --dataset-dir, directory or file', async () => {
    await assert.rejects(loadDataset('cifar10'), rejectsWith(/--dataset cifar10 needs --dataset-dir DIR/));
    await assert.rejects(loadDataset('cifar10', { dataDir: join(scratch, 'nowhere') }), rejectsWith(/nowhere does not exist; point --dataset-dir/));
    const dir = join(scratch, 'missing-file');
    await writeCifar10Fixture(dir, 2);
    await rm(join(dir, 'data_batch_4.bin'));
    await assert.rejects(loadDataset('cifar10', { dataDir: dir, validationSize: 1 }), rejectsWith(/data_batch_4\.bin is missing/));
    await writeCifar10Fixture(dir, 2);
    await assert.rejects(loadDataset('cifar10', { dataDir: dir }), rejectsWith(/the training files hold 10 examples, not more than the 5000 kept for validation/));
  });

  it('refuses a truncated record and a label that is not 0–9, naming the file and record', async () => {
    const truncated = join(scratch, 'truncated');
    await writeCifar10Fixture(truncated, 2);
    await truncate(join(truncated, 'data_batch_2.bin'), CIFAR10_RECORD_BYTES + 100);
    await assert.rejects(loadDataset('cifar10', { dataDir: truncated, validationSize: 1 }), rejectsWith(/data_batch_2\.bin is truncated: 3173 bytes .*record 2 has 100 bytes/));
    const badLabel = join(scratch, 'bad-label');
    await writeCifar10Fixture(badLabel, 2);
    const record = new Uint8Array(CIFAR10_RECORD_BYTES * 2);
    record[CIFAR10_RECORD_BYTES] = 42;
    await writeFile(join(badLabel, 'test_batch.bin'), record);
    await assert.rejects(loadDataset('cifar10', { dataDir: badLabel, validationSize: 1 }), rejectsWith(/test_batch\.bin record 1 has label 42, but CIFAR-10 labels are 0–9/));
  });
});

describe('models on H×W×C inputs', () => {
  it('size the MLP input and the first conv from the dataset and record both in the spec', () => {
    const mlp = resolveModelSpec({ name: 'mlp', dataset: 'cifar10' });
    assert.deepEqual(mlp, { name: 'mlp', hidden: 128, dataset: 'cifar10', input: { height: 32, width: 32, channels: 3 } });
    assert.deepEqual(layoutFor(mlp)[0].shape, [3072, 128]);
    const cnn = resolveModelSpec({ name: 'cnn', dataset: 'cifar10' });
    assert.deepEqual(
      layoutFor(cnn).map((entry) => entry.shape),
      [[5, 5, 3, 8], [8], [5, 5, 8, 16], [16], [5 * 5 * 16, 10], [10]],
    );
    assert.deepEqual(layoutFor(resolveModelSpec({ name: 'cnn', dataset: 'fashion-mnist' }))[4].shape, [4 * 4 * 16, 10]);
  });

  it('keep MNIST specs and hashes as they were, and give each dataset its own genesis hash', () => {
    assert.deepEqual(resolveModelSpec({ name: 'mlp', dataset: 'mnist' }), { name: 'mlp', hidden: 128 });
    const hashes = (['mnist', 'fashion-mnist'] as const).map((dataset) => genesisCheckpoint(initialParams({ name: 'mlp', dataset }, 1)).modelHash);
    assert.equal(hashes[0], genesisCheckpoint(initialParams('mlp', 1)).modelHash);
    assert.notEqual(hashes[0], hashes[1], 'same weights, another dataset: another model hash');
  });

  it('refuse an input shape that is not the dataset\'s, and an unknown dataset', () => {
    assert.throws(() => resolveModelSpec({ name: 'mlp', dataset: 'cifar10', input: { height: 28, width: 28, channels: 1 } }), ModelSpecError);
    assert.throws(() => resolveModelSpec({ name: 'mlp', input: { height: 32, width: 32, channels: 3 } }), /takes 28×28×1 inputs/);
    assert.throws(() => resolveModelSpec({ name: 'mlp', dataset: 'svhn' as never }), /unknown dataset "svhn"/);
  });

  it('a 32×32×3 CNN trains on the CIFAR-10 file through tfjs, and its loss falls', async () => {
    await initBackend('wasm');
    const dir = join(scratch, 'cifar-train');
    await writeCifar10Fixture(dir, 40);
    const cifar = await loadDataset('cifar10', { dataDir: dir, validationSize: 40 });
    const { spec, params } = initialParams({ name: 'cnn', dataset: 'cifar10' }, 3);
    assert.equal(trainingEngine(spec), 'tfjs', 'the WebAssembly kernels are written for 28×28×1 only');
    const before = await evaluate({ spec, params, data: cifar.train });
    const result = await trainLocal({ spec, params, data: cifar.train, config: { innerSteps: 40, batchSize: 16, learningRate: 3e-3, seed: 'cifar' } });
    assert.equal(result.delta.length, layoutSize(layoutFor(spec)));
    const trained = params.map((value, i) => value + result.delta[i]);
    const afterTraining = await evaluate({ spec, params: trained, data: cifar.train });
    assert.ok(afterTraining.loss < before.loss * 0.8, `loss ${before.loss} → ${afterTraining.loss}`);
  });

  it('the auditors\' reference loss agrees with tfjs on 32×32×3 examples (channels last, both models)', async () => {
    await initBackend('wasm');
    const dir = join(scratch, 'cifar-reference');
    await writeCifar10Fixture(dir, 4);
    const { test } = await loadDataset('cifar10', { dataDir: dir, validationSize: 1 });
    for (const name of ['mlp', 'cnn'] as const) {
      const { spec, params } = initialParams({ name, dataset: 'cifar10' }, 5);
      const tfjs = await evaluate({ spec, params, data: test });
      const reference = await referenceLoss({ spec, params, data: test, limit: test.size });
      assert.ok(Math.abs(reference - tfjs.loss) < 1e-5 * Math.max(1, tfjs.loss), `${name}: reference ${reference} vs tfjs ${tfjs.loss}`);
    }
  });

  it('refuse to train or evaluate a model on another dataset\'s examples, saying which --dataset to run', async () => {
    await initBackend('wasm');
    const mnist = await loadDataset('mnist');
    const shard = shardFor({ data: mnist.train, seed: 1, peers: 100, index: 0, scheme: 'iid' });
    const { spec, params } = initialParams({ name: 'mlp', dataset: 'fashion-mnist' }, 1);
    const config = { innerSteps: 1, batchSize: 8, learningRate: 1e-3, seed: 1 };
    await assert.rejects(
      trainLocal({ spec, params, data: shard, config }),
      rejectsWith(/training shard is mnist \(28×28×1\) but the model is trained on fashion-mnist \(28×28×1\); run this node with --dataset fashion-mnist/),
    );
    await assert.rejects(evaluate({ spec, params, data: mnist.validation }), rejectsWith(/--dataset fashion-mnist/));
  });

  it('a daemon holding MNIST refuses a Fashion-MNIST network\'s model instead of sending an update', async () => {
    await initBackend('wasm');
    const shard = shardFor({ data: (await loadDataset('mnist')).train, seed: 1, peers: 100, index: 0, scheme: 'iid' });
    const base = genesisCheckpoint(initialParams({ name: 'mlp', dataset: 'fashion-mnist' }, 1));
    const trainer = new Trainer({
      shard,
      innerSteps: 2,
      batchSize: 8,
      learningRate: 1e-3,
      codec: 'fp32',
      topkFraction: 0.1,
      seed: 1,
      nodeKey: `0x${'ab'.repeat(20)}`,
      models: { checkpoint: async () => base },
      logger: createLogger({ name: 'dataset-test', level: 'silent' }),
    });
    await assert.rejects(trainer.train({ round: 1, baseModelHash: base.modelHash, residual: undefined }), rejectsWith(/run this node with --dataset fashion-mnist/));
  });
});

describe('--dataset settings', () => {
  it('the daemon reads GRADNET_DATASET and GRADNET_DATASET_DIR, defaults to mnist and names the datasets for a typo', () => {
    assert.equal(loadConfig(daemonConfigSchema, { env: {} }).dataset, 'mnist');
    const config = loadConfig(daemonConfigSchema, { env: { GRADNET_DATASET: 'cifar10', GRADNET_DATASET_DIR: '/data/cifar' } });
    assert.deepEqual([config.dataset, config.datasetDir], ['cifar10', '/data/cifar']);
    assert.throws(() => loadConfig(daemonConfigSchema, { flags: { dataset: 'fashion' } }), /dataset.*fashion.*'mnist' \| 'fashion-mnist' \| 'cifar10'/s);
  });

  it('the coordinator takes dataset and datasetDir in its config', () => {
    const config = parseCoordinatorConfig({ privateKey: `0x${'ab'.repeat(32)}`, dataset: 'fashion-mnist' });
    assert.deepEqual([config.dataset, config.datasetDir], ['fashion-mnist', undefined]);
    assert.equal(parseCoordinatorConfig({ privateKey: `0x${'ab'.repeat(32)}` }).dataset, 'mnist');
    assert.throws(() => parseCoordinatorConfig({ privateKey: `0x${'ab'.repeat(32)}`, dataset: 'svhn' }), /dataset/);
  });
});
