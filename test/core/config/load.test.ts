import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, daemonConfigSchema, envName, loadConfig } from '../../../core/config/index.ts';

function tempFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gradnet-config-')), 'config.json');
  writeFileSync(file, content);
  return file;
}

describe('loadConfig', () => {
  it('maps setting names to GRADNET_ environment variables', () => {
    assert.equal(envName('rpcUrl'), 'GRADNET_RPC_URL');
    assert.equal(envName('topkFraction'), 'GRADNET_TOPK_FRACTION');
  });

  it('fills defaults and lets file < environment < flags override', () => {
    const file = tempFile(JSON.stringify({ innerSteps: 10, codec: 'int8', heartbeatSeconds: 3 }));
    const config = loadConfig(daemonConfigSchema, {
      file,
      env: { GRADNET_INNER_STEPS: '20', GRADNET_BOOTSTRAP: '/ip4/127.0.0.1/tcp/1/p2p/abc, /ip4/127.0.0.1/tcp/2/p2p/def', GRADNET_AUDIT: 'false' },
      flags: { innerSteps: '30', unrelated: 'ignored' },
    });
    assert.equal(config.innerSteps, 30);
    assert.equal(config.codec, 'int8');
    assert.equal(config.heartbeatSeconds, 3);
    assert.equal(config.audit, false);
    assert.deepEqual(config.bootstrap, ['/ip4/127.0.0.1/tcp/1/p2p/abc', '/ip4/127.0.0.1/tcp/2/p2p/def']);
    assert.equal(config.rpcUrl, 'http://127.0.0.1:8545');
    assert.equal(config.topkFraction, undefined, 'unset: each codec takes its own default');
  });

  it('names the bad setting, its value and its source', () => {
    assert.throws(
      () => loadConfig(daemonConfigSchema, { env: { GRADNET_INNER_STEPS: 'many' } }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.setting, 'innerSteps');
        assert.match(error.message, /"innerSteps"/);
        assert.match(error.message, /GRADNET_INNER_STEPS/);
        return true;
      },
    );
    assert.throws(() => loadConfig(daemonConfigSchema, { flags: { rpcUrl: 'not a url' } }), /"rpcUrl" = "not a url".*--rpc-url/);
    assert.throws(() => loadConfig(daemonConfigSchema, { flags: { codec: 'zip' } }), /"codec".*fp32/);
  });

  it('checks settings against each other', () => {
    assert.throws(() => loadConfig(daemonConfigSchema, { flags: { shardIndex: '4', shardCount: '3' } }), /"shardIndex" = 4: must be smaller than shardCount/);
  });

  it('rejects unknown keys, bad JSON and a missing file in the config file', () => {
    assert.throws(() => loadConfig(daemonConfigSchema, { file: tempFile('{"rpcUrll": "x"}') }), /unknown setting "rpcUrll"/);
    assert.throws(() => loadConfig(daemonConfigSchema, { file: tempFile('{rpcUrl') }), /not valid JSON/);
    assert.throws(() => loadConfig(daemonConfigSchema, { file: '/nonexistent/gradnet.json' }), /does not exist/);
    assert.throws(() => loadConfig(daemonConfigSchema, { env: { GRADNET_CONFIG: '/nonexistent/x.json' } }), /x\.json does not exist/);
  });
});
