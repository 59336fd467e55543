import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Hex } from 'viem';
import { startApiServer, type ApiServer } from '../../coordinator/http.ts';
import { ApiRequestError } from '../../coordinator/errors.ts';
import { createCoordinatorMetrics } from '../../coordinator/metrics.ts';

describe('coordinator HTTP API', () => {
  let server: ApiServer;
  const seen: unknown[] = [];
  const metrics = createCoordinatorMetrics();

  before(async () => {
    server = await startApiServer({
      host: '127.0.0.1',
      port: 0,
      source: {
        status: () => ({ round: 3, budget: 10n ** 20n }),
        rounds: (query) => {
          seen.push(query);
          return [{ round: 2 }];
        },
        round: (round, page) => {
          if (round > 5) throw new ApiRequestError(404, `round ${round} is not known`, round);
          seen.push(page);
          return { round };
        },
        refusals: (round, page) => ({ round, ...page, refusals: [] }),
        nodes: () => [],
        rewards: async (owner: Hex) => ({ owner }),
        metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
      },
    });
  });
  after(() => server.close());

  const get = async (path: string): Promise<{ status: number; body: string }> => {
    const response = await fetch(`${server.url}${path}`);
    return { status: response.status, body: await response.text() };
  };

  it('listens on 127.0.0.1 and serves JSON with bigints as decimal strings', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const { status, body } = await get('/status');
    assert.equal(status, 200);
    assert.deepEqual(JSON.parse(body), { round: 3, budget: '100000000000000000000' });
  });

  it('parses round paging and refuses malformed numbers', async () => {
    assert.equal((await get('/rounds?limit=5&before=9')).status, 200);
    assert.deepEqual(seen.at(-1), { limit: 5, before: 9 });
    const bad = await get('/rounds?limit=-1');
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).error, /limit must be an integer/);
    assert.equal((await get('/rounds/7')).status, 404);
    assert.deepEqual(JSON.parse((await get('/rounds/4')).body), { round: 4 });
    assert.deepEqual(seen.at(-1), { limit: 100, offset: 0 }, "a round's updates come a page at a time");
    await get('/rounds/4?limit=10&offset=20');
    assert.deepEqual(seen.at(-1), { limit: 10, offset: 20 });
    assert.match(JSON.parse((await get('/rounds/4?limit=5000')).body).error, /limit must be an integer from 1 to 1000/);
    assert.deepEqual(JSON.parse((await get('/rounds/4/refusals?offset=7')).body), { round: 4, limit: 100, offset: 7, refusals: [] });
    assert.equal((await get('/rounds/4/other')).status, 404);
  });

  it('checksums the owner address and refuses a non-address', async () => {
    const owner = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
    assert.deepEqual(JSON.parse((await get(`/rewards/${owner}`)).body), { owner: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' });
    const bad = await get('/rewards/alice');
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).error, /not an address/);
  });

  it('serves Prometheus text and 404s unknown paths', async () => {
    metrics.updatesRejected.inc({ reason: 'bad-signature' });
    const { status, body } = await get('/metrics');
    assert.equal(status, 200);
    assert.match(body, /gradnet_updates_rejected_total\{reason="bad-signature"\} 1/);
    assert.equal((await get('/nope')).status, 404);
  });
});
