import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../../core/files/index.ts';

// The font ships in an npm package so that text renders on machines without system fonts
// (resvg draws no text at all when it finds no font).
const fontFile = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');

/** Renders a Vega-Lite spec to SVG in Node: Vega's headless view needs neither a browser nor a canvas. */
export async function renderSvg(spec: TopLevelSpec, scale = 2): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG(scale);
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG to PNG bytes on a white background with the bundled DejaVu Sans. */
export function svgToPng(svg: string): Uint8Array {
  const resvg = new Resvg(svg, {
    background: 'white',
    font: { fontFiles: [fontFile], loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

/** Renders `spec` and writes it atomically to `pngFile`, creating its folder. */
export async function writeChartPng(spec: TopLevelSpec, pngFile: string): Promise<void> {
  await writeFileAtomic(pngFile, svgToPng(await renderSvg(spec)));
}

/** The picture that sits next to a suite's JSON: `results/x.json` -> `results/x.png`. */
export function pngPathFor(jsonFile: string): string {
  return jsonFile.endsWith('.json') ? `${jsonFile.slice(0, -'.json'.length)}.png` : `${jsonFile}.png`;
}
