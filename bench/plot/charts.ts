import type { TopLevelSpec } from 'vega-lite';
import type { PositionFieldDef } from 'vega-lite/types_unstable/channeldef.js';

const schema = 'https://vega.github.io/schema/vega-lite/v6.json';

/** One point of a training curve: test accuracy after an outer round. */
export interface CurvePoint { round: number; accuracy: number }

/** Accuracy per DiLoCo round against the centralized run on the same samples (drawn as a reference line). */
export function accuracyChart(input: { title: string; curve: readonly CurvePoint[]; centralized: number }): TopLevelSpec {
  const lowest = Math.min(input.centralized, ...input.curve.map((point) => point.accuracy));
  const domain = [Math.max(0, Math.floor(lowest * 20) / 20), 1];
  return {
    $schema: schema,
    title: input.title,
    width: 520,
    height: 320,
    layer: [
      {
        data: { values: input.curve.map((point) => ({ ...point, series: 'distributed (DiLoCo)' })) },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'round', type: 'quantitative', title: 'outer round', axis: { tickMinStep: 1 } },
          y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy', scale: { domain, clamp: true }, axis: { format: '.0%' } },
          color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom-right', labelLimit: 320 } },
        },
      },
      {
        data: { values: [{ accuracy: input.centralized, series: 'centralized (same samples)' }] },
        mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 2 },
        encoding: {
          y: { field: 'accuracy', type: 'quantitative' },
          color: { field: 'series', type: 'nominal' },
        },
      },
    ],
  };
}

/** One run's curve in a simulation chart, e.g. `3 of 10 peers labelflip` against `clean`. */
export interface SimulationSeries { name: string; curve: readonly CurvePoint[] }

/** Test accuracy per outer round of a simulation's runs, one line each (an attacked run against its clean twin). */
export function simulationChart(input: { title: string; series: readonly SimulationSeries[] }): TopLevelSpec {
  const values = input.series.flatMap((series) => series.curve.map((point) => ({ round: point.round, accuracy: point.accuracy, series: series.name })));
  const lowest = Math.min(...values.map((point) => point.accuracy));
  return {
    $schema: schema,
    title: input.title,
    width: 520,
    height: 320,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'round', type: 'quantitative', title: 'outer round', axis: { tickMinStep: 1 } },
      y: {
        field: 'accuracy',
        type: 'quantitative',
        title: 'test accuracy',
        scale: { domain: [Math.max(0, Math.floor(lowest * 20) / 20), 1], clamp: true },
        axis: { format: '.0%' },
      },
      color: { field: 'series', type: 'nominal', title: null, sort: input.series.map((series) => series.name), legend: { orient: 'bottom-right', labelLimit: 320 } },
    },
  };
}

/** One cell of the robustness grid. */
export interface RobustnessCell { rule: string; attack: string; accuracy: number; attackerRewardShare: number }

/**
 * Grid of every aggregation rule × attack, coloured by the accuracy lost against the same rule's
 * clean run (clean = 0) and labelled with the accuracy and the attackers' share of the rewards.
 */
export function robustnessChart(input: { title: string; cells: readonly RobustnessCell[]; defaultRule: string; attackers?: string }): TopLevelSpec {
  const cleanOf = new Map(input.cells.filter((cell) => cell.attack === 'clean').map((cell) => [cell.rule, cell.accuracy]));
  const ruleLabel = (rule: string): string => (rule === input.defaultRule ? `${rule} (default)` : rule);
  const values = input.cells.map((cell) => ({
    rule: ruleLabel(cell.rule),
    attack: cell.attack,
    drop: Math.max(0, (cleanOf.get(cell.rule) ?? cell.accuracy) - cell.accuracy),
    label: cell.attack === 'clean'
      ? `${(cell.accuracy * 100).toFixed(1)}%`
      : `${(cell.accuracy * 100).toFixed(1)}% · ${(cell.attackerRewardShare * 100).toFixed(1)}% rew.`,
  }));
  const attacks = [...new Set(input.cells.map((cell) => cell.attack))];
  const rules = [...new Set(input.cells.map((cell) => ruleLabel(cell.rule)))];
  return {
    $schema: schema,
    title: { text: input.title, subtitle: "cell: final test accuracy · attackers' share of all rewards; colour: accuracy lost vs the rule's clean run" },
    data: { values },
    width: 140 * attacks.length,
    height: 48 * rules.length,
    encoding: {
      x: { field: 'attack', type: 'nominal', sort: attacks, title: `attack (${input.attackers ?? '3 of 10 peers'})`, axis: { labelAngle: 0, orient: 'top' } },
      y: { field: 'rule', type: 'nominal', sort: rules, title: 'aggregation rule' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: {
            field: 'drop',
            type: 'quantitative',
            title: 'accuracy lost',
            scale: { scheme: 'reds', domain: [0, 0.1], clamp: true },
            legend: { format: '.0%' },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 11 },
        encoding: {
          text: { field: 'label', type: 'nominal' },
          color: { condition: { test: 'datum.drop > 0.06', value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}

/** One codec's trade-off point. */
export interface CodecPoint { codec: string; bytesPerUpdate: number; accuracy: number }

/** Accuracy against bytes per update (log scale), one labelled point per codec; `target` draws a size bound as a dashed line. */
export function compressionChart(input: { title: string; points: readonly CodecPoint[]; target?: { bytes: number; label: string } }): TopLevelSpec {
  const lowest = Math.min(...input.points.map((point) => point.accuracy));
  const highest = Math.max(...input.points.map((point) => point.accuracy));
  const pad = Math.max(0.005, (highest - lowest) * 0.3);
  const x: PositionFieldDef<string> = { field: 'kib', type: 'quantitative', title: 'KiB per update (log scale)', scale: { type: 'log' } };
  const y: PositionFieldDef<string> = {
    field: 'accuracy',
    type: 'quantitative',
    title: 'test accuracy',
    scale: { domain: [Math.max(0, lowest - pad), Math.min(1, highest + pad)] },
    axis: { format: '.1%' },
  };
  const points = { values: input.points.map((point) => ({ ...point, kib: point.bytesPerUpdate / 1024 })) };
  const target = input.target && { values: [{ kib: input.target.bytes / 1024, label: input.target.label }] };
  return {
    $schema: schema,
    title: input.title,
    width: 520,
    height: 320,
    layer: [
      { data: points, mark: { type: 'point', filled: true, size: 90 }, encoding: { x, y, color: { field: 'codec', type: 'nominal', legend: null } } },
      { data: points, mark: { type: 'text', dy: -12, fontSize: 12 }, encoding: { x, y, text: { field: 'codec', type: 'nominal' } } },
      ...(target
        ? [
            { data: target, mark: { type: 'rule' as const, strokeDash: [6, 4], color: 'gray' }, encoding: { x } },
            {
              data: target,
              mark: { type: 'text' as const, align: 'left' as const, baseline: 'top' as const, dx: 4, y: 4, fontSize: 11, color: 'gray' },
              encoding: { x, text: { field: 'label', type: 'nominal' as const } },
            },
          ]
        : []),
    ],
  };
}
