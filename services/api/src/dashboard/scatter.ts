import * as echarts from 'echarts';
import { chartFigure } from './charts';
import { html, type Html } from './html';

interface BinnedScatterSpec {
  title: string;
  /** The bins shown: mean minutes a week (x) and mean growth (y). */
  points: { x: number; y: number }[];
  /** The fitted line, drawn over the range of the points. */
  line: { intercept: number; slope: number } | null;
}

const TEXT = '#1f2933';

/** Bin means as points and a fitted straight line (ECharts SVG on the server, no client script). */
export function binnedScatterChart(spec: BinnedScatterSpec): Html {
  if (spec.points.length === 0) return html``;
  const xs = spec.points.map((p) => p.x);
  const ends = [Math.min(...xs), Math.max(...xs)];
  const c = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 760, height: 340 });
  try {
    c.setOption({
      animation: false,
      color: ['#1d4ed8', '#b45309'],
      textStyle: { fontFamily: 'system-ui, sans-serif', color: TEXT },
      grid: { left: 64, right: 176, top: 32, bottom: 56 },
      legend: { orient: 'vertical', left: 760 - 160, top: 'middle', textStyle: { color: TEXT } },
      xAxis: {
        type: 'value',
        name: 'mean minutes a week',
        nameLocation: 'middle',
        nameGap: 30,
        axisLabel: { color: TEXT },
        nameTextStyle: { color: TEXT },
      },
      yAxis: { type: 'value', name: 'mean growth', axisLabel: { color: TEXT }, nameTextStyle: { color: TEXT } },
      series: [
        { name: 'usage bin', type: 'scatter', symbolSize: 10, data: spec.points.map((p) => [p.x, p.y]) },
        ...(spec.line
          ? [
              {
                name: 'fitted line',
                type: 'line',
                symbol: 'none',
                lineStyle: { width: 2 },
                data: ends.map((x) => [x, spec.line!.intercept + spec.line!.slope * x]),
              },
            ]
          : []),
      ],
    });
    return chartFigure(spec.title, c.renderToSVGString());
  } finally {
    c.dispose();
  }
}
