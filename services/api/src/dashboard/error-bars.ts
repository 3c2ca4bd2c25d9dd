import * as echarts from 'echarts';
import { chartFigure } from './charts';
import { html, type Html } from './html';

interface ErrorBarSpec {
  title: string;
  categories: string[];
  means: number[];
  lows: number[];
  highs: number[];
}

/** Mean per category as a bar with its confidence interval as an error bar (ECharts custom series, SVG on the server). */
export function errorBarChart(spec: ErrorBarSpec): Html {
  if (spec.categories.length === 0) return html``;
  const c = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 760, height: 320 });
  try {
    c.setOption({
      animation: false,
      textStyle: { fontFamily: 'system-ui, sans-serif', color: '#1f2933' },
      grid: { left: 64, right: 32, top: 32, bottom: 48 },
      xAxis: { type: 'category', data: spec.categories, axisLabel: { color: '#1f2933' } },
      yAxis: { type: 'value', name: 'mean growth', axisLabel: { color: '#1f2933' } },
      series: [
        { type: 'bar', data: spec.means, itemStyle: { color: '#1d4ed8' }, barMaxWidth: 48 },
        {
          type: 'custom',
          data: spec.categories.map((_, i) => [i, spec.lows[i], spec.highs[i]]),
          renderItem: (_params: unknown, api: { value(i: number): number; coord(p: number[]): number[] }) => {
            const low = api.coord([api.value(0), api.value(1)]);
            const high = api.coord([api.value(0), api.value(2)]);
            const style = { stroke: '#b45309', lineWidth: 2 };
            const cap = 10;
            return {
              type: 'group',
              children: [
                { type: 'line', shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style },
                { type: 'line', shape: { x1: low[0]! - cap, y1: low[1], x2: low[0]! + cap, y2: low[1] }, style },
                { type: 'line', shape: { x1: high[0]! - cap, y1: high[1], x2: high[0]! + cap, y2: high[1] }, style },
              ],
            };
          },
          z: 10,
        },
      ],
    });
    return chartFigure(spec.title, c.renderToSVGString());
  } finally {
    c.dispose();
  }
}
