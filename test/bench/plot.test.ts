import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { accuracyChart, compressionChart, pngPathFor, renderSvg, robustnessChart, writeChartPng } from '../../bench/plot/index.ts';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

describe('bench plots', () => {
  it('writes a PNG for each chart next to the JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gradnet-plot-'));
    try {
      const charts = [
        accuracyChart({ title: 'acc', curve: [{ round: 1, accuracy: 0.9 }, { round: 2, accuracy: 0.95 }], centralized: 0.96 }),
        robustnessChart({
          title: 'grid',
          defaultRule: 'median',
          cells: [
            { rule: 'mean', attack: 'clean', accuracy: 0.9, attackerRewardShare: 0 },
            { rule: 'mean', attack: 'signflip', accuracy: 0.1, attackerRewardShare: 0 },
            { rule: 'median', attack: 'clean', accuracy: 0.9, attackerRewardShare: 0 },
            { rule: 'median', attack: 'signflip', accuracy: 0.89, attackerRewardShare: 0.01 },
          ],
        }),
        compressionChart({
          title: 'codecs',
          points: [{ codec: 'fp32', bytesPerUpdate: 400_000, accuracy: 0.97 }, { codec: 'topk', bytesPerUpdate: 9_000, accuracy: 0.965 }],
          target: { bytes: 12_500, label: '32× smaller than fp32' },
        }),
      ];
      for (const [i, chart] of charts.entries()) {
        const file = pngPathFor(join(dir, `suite${i}.json`));
        assert.equal(file, join(dir, `suite${i}.png`));
        await writeChartPng(chart, file);
        const png = new Uint8Array(await readFile(file));
        assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
        const { width, height } = pngSize(png);
        assert.ok(width > 400 && height > 200, `${width}×${height} is too small for a chart`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('draws the labels as text (the bundled font renders them)', async () => {
    const svg = await renderSvg(compressionChart({ title: 'codecs', points: [{ codec: 'int8', bytesPerUpdate: 100_000, accuracy: 0.97 }] }));
    assert.match(svg, /<text[^>]*>int8<\/text>/);
    const withTarget = await renderSvg(
      compressionChart({ title: 'codecs', points: [{ codec: 'int8', bytesPerUpdate: 100_000, accuracy: 0.97 }], target: { bytes: 12_500, label: 'budget line' } }),
    );
    assert.match(withTarget, /<text[^>]*>budget line<\/text>/);
  });
});
