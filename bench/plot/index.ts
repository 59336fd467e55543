export { renderSvg, svgToPng, writeChartPng, pngPathFor } from './render.ts';
export { accuracyChart, robustnessChart, compressionChart, simulationChart } from './charts.ts';
export type { CurvePoint, RobustnessCell, CodecPoint, SimulationSeries } from './charts.ts';
