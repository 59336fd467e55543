import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, startProgress } from '../../../core/log/index.ts';

function capture(run: (fd: number) => void): Record<string, unknown>[] {
  const file = join(mkdtempSync(join(tmpdir(), 'gradnet-log-')), 'log');
  const fd = openSync(file, 'w');
  run(fd);
  closeSync(fd);
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

describe('logging', () => {
  it('writes one JSON object per line with the component name', () => {
    const lines = capture((fd) => createLogger({ name: 'daemon', fd, format: 'json' }).info({ round: 3 }, 'round opened'));
    assert.equal(lines.length, 1);
    assert.equal(lines[0].name, 'daemon');
    assert.equal(lines[0].round, 3);
    assert.equal(lines[0].msg, 'round opened');
  });

  it('reports progress off a terminal as a log line each quarter', () => {
    const lines = capture((fd) => {
      const logger = createLogger({ name: 'train', fd, format: 'json', level: 'debug' });
      const progress = startProgress({ label: 'train', total: 100, logger, stream: { isTTY: false } as NodeJS.WriteStream });
      for (let step = 1; step <= 100; step++) progress.update(step, { loss: 1 / step });
      progress.stop();
    });
    assert.deepEqual(lines.map((line) => line.done), [25, 50, 75, 100]);
  });
});
