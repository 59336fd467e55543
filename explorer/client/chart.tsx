import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Whole-round steps for the x axis (uPlot would otherwise tick at 1.2, 1.4, …). */
const ROUND_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000];

/** A line chart of one figure per round (uPlot), as wide as its container and redrawn when that changes. */
export function RoundChart(props: { title: string; rounds: number[]; values: number[]; color: string; format: (value: number) => string }) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const options: uPlot.Options = {
      width: element.clientWidth || 320,
      height: 200,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false } },
      axes: [
        { label: 'round', stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' }, incrs: ROUND_STEPS },
        { stroke: 'currentColor', size: 60, values: (_plot, ticks) => ticks.map(props.format), grid: { stroke: 'rgba(128,128,128,0.2)' } },
      ],
      series: [{ label: 'round' }, { label: props.title, stroke: props.color, width: 2, points: { show: props.rounds.length < 60 } }],
    };
    plot.current = new uPlot(options, [props.rounds, props.values], element);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: element.clientWidth, height: 200 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData([props.rounds, props.values]);
  }, [props.rounds, props.values]);

  const last = props.values.at(-1);
  return (
    <figure class="chart">
      <figcaption>
        {props.title}
        {last === undefined ? ' (no round yet)' : `: ${props.format(last)} at round ${props.rounds.at(-1)}`}
      </figcaption>
      <div ref={container} role="img" aria-label={`${props.title} per round, ${props.rounds.length} rounds`} />
    </figure>
  );
}
