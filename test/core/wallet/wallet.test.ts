import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyToAddress } from 'viem/accounts';
import { createLogger } from '../../../core/log/index.ts';
import {
  createKeystore,
  findKeystore,
  importKeystore,
  listKeystores,
  loadKey,
  resolvePassword,
  unlockKeystore,
  WalletError,
} from '../../../core/wallet/index.ts';

const KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const logger = createLogger({ name: 'test', level: 'silent' });

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'gradnet-wallet-'));
}

describe('keystores', () => {
  it('creates, lists, finds and unlocks owner and node keys separately', async () => {
    const dir = tempDir();
    const owner = await createKeystore({ dir, role: 'owner', password: 'pw', strength: 'light' });
    const node = await createKeystore({ dir, role: 'node', password: 'pw2', label: 'laptop', strength: 'light' });
    assert.equal(statSync(owner.file).mode & 0o777, 0o600);
    const all = await listKeystores(dir);
    assert.deepEqual(all.map((entry) => entry.role).sort(), ['node', 'owner']);
    assert.equal((await findKeystore(dir, 'node')).address, node.address);
    assert.equal((await findKeystore(dir, 'node', 'laptop')).address, node.address);
    assert.equal((await findKeystore(dir, 'owner', owner.address.toLowerCase())).address, owner.address);
    const unlocked = await unlockKeystore(node, 'pw2');
    assert.equal(unlocked.address, node.address);
    assert.equal(privateKeyToAddress(unlocked.privateKey), node.address);
    assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tmp')), []);
  });

  it('imports a raw key and refuses to overwrite it', async () => {
    const dir = tempDir();
    const entry = await importKeystore({ dir, role: 'owner', password: 'pw', privateKey: KEY.slice(2), strength: 'light' });
    assert.equal(entry.address, privateKeyToAddress(KEY));
    await assert.rejects(importKeystore({ dir, role: 'owner', password: 'pw', privateKey: KEY, strength: 'light' }), { code: 'KEYSTORE_EXISTS' });
    await assert.rejects(importKeystore({ dir, role: 'owner', password: 'pw', privateKey: '0x1234' }), (error: unknown) => {
      assert.ok(error instanceof WalletError);
      assert.equal(error.code, 'INVALID_PRIVATE_KEY');
      assert.doesNotMatch(error.message, /1234/);
      return true;
    });
  });

  it('says what to do on a wrong password, a missing or an ambiguous keystore', async () => {
    const dir = tempDir();
    const node = await createKeystore({ dir, role: 'node', password: 'right', strength: 'light' });
    await assert.rejects(unlockKeystore(node, 'wrong'), /wrong password for node keystore .*--password-file/);
    await assert.rejects(findKeystore(dir, 'owner'), /no owner keystore in .*gradnet wallet new --role owner/);
    await assert.rejects(findKeystore(join(dir, 'missing'), 'node'), { code: 'KEYSTORE_NOT_FOUND' });
    await createKeystore({ dir, role: 'node', password: 'right', strength: 'light' });
    await assert.rejects(findKeystore(dir, 'node'), { code: 'KEYSTORE_AMBIGUOUS' });
  });
});

describe('passwords and keys', () => {
  it('reads the password file first, then GRADNET_PASSWORD, and never prompts without a TTY', async () => {
    const file = join(tempDir(), 'password');
    writeFileSync(file, 'from-file\nignored\n');
    assert.equal(await resolvePassword({ passwordFile: file, env: { GRADNET_PASSWORD: 'env' } }), 'from-file');
    assert.equal(await resolvePassword({ env: { GRADNET_PASSWORD: 'env' } }), 'env');
    await assert.rejects(resolvePassword({ env: {} }), /--password-file FILE or set GRADNET_PASSWORD/);
    await assert.rejects(resolvePassword({ passwordFile: join(tempDir(), 'nope'), env: {} }), /cannot read password file/);
  });

  it('accepts a raw key from the environment on the dev chain only', async () => {
    const dir = tempDir();
    const env = { GRADNET_NODE_PRIVATE_KEY: KEY };
    const dev = await loadKey({ role: 'node', keystoreDir: dir, chainId: 31337, env, logger });
    assert.equal(dev.source, 'environment');
    assert.equal(dev.address, privateKeyToAddress(KEY));
    await assert.rejects(loadKey({ role: 'node', keystoreDir: dir, chainId: 1, env, logger }), { code: 'DEV_KEY_REFUSED' });
  });

  it('unlocks the keystore with the password from the environment', async () => {
    const dir = tempDir();
    const owner = await createKeystore({ dir, role: 'owner', password: 'secret', strength: 'light' });
    const key = await loadKey({ role: 'owner', keystoreDir: dir, chainId: 8453, env: { GRADNET_PASSWORD: 'secret' }, logger });
    assert.equal(key.source, 'keystore');
    assert.equal(key.address, owner.address);
  });
});
