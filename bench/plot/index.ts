export { renderSvg, svgToPng, writeChartPng, pngPathFor } from './render.ts';
export { accuracyChart, robustnessChart, compressionChart } from './charts.ts';
export type { CurvePoint, RobustnessCell, CodecPoint } from './charts.ts';
