import * as echarts from 'echarts';
import { html, Html } from './html';

/** Colours with at least 3:1 contrast on white (WCAG non-text contrast). */
const PALETTE = ['#1d4ed8', '#b45309', '#047857', '#b91c1c', '#6d28d9', '#0e7490', '#a21caf', '#4d7c0f'];
const TEXT = '#1f2933';

export interface Series {
  name: string;
  values: (number | null)[];
}

interface ChartSpec {
  /** What the chart shows, read by screen readers (the numbers are in the table beside it). */
  title: string;
  categories: string[];
  series: Series[];
  kind: 'bar' | 'line' | 'hbar';
  valueName: string;
  /** Shares (1 = 100 %): axis shown in %, to 100 % or past it when a value is (seat utilization may be). */
  percent?: boolean;
  /** Bars of the series stacked on each other (parts of one total). */
  stacked?: boolean;
}

/** Longest category label drawn on an axis; the table beside the chart has the full name. */
const LABEL_MAX = 24;
/** A generous width of one 12 px label character (server-side text widths are estimates). */
const CHAR_PX = 8;
/** Long names keep their start and their end (ids often differ only at the end: `…-number-1`, `…-number-2`). */
const short = (s: string) => {
  if (s.length <= LABEL_MAX) return s;
  const head = Math.ceil((LABEL_MAX - 1) / 2);
  return `${s.slice(0, head)}…${s.slice(s.length - (LABEL_MAX - 1 - head))}`;
};

/** Width of every chart's SVG (it scales down on narrow screens). */
const WIDTH = 760;

/** Categories skipped between two drawn labels so that the labels fit in `plotWidth` pixels. */
function labelInterval(categories: string[], plotWidth: number): number {
  const labelWidth = 16 + CHAR_PX * Math.max(1, ...categories.map((c) => short(c).length));
  const fit = Math.max(1, Math.floor(plotWidth / labelWidth));
  return Math.max(0, Math.ceil(categories.length / fit) - 1);
}

/** The largest value drawn: a category's stack, or a single bar or point. */
function largest(spec: ChartSpec): number {
  const tops = spec.stacked
    ? spec.categories.map((_, i) => spec.series.reduce((t, s) => t + Math.max(0, s.values[i] ?? 0), 0))
    : spec.series.flatMap((s) => s.values.map((v) => v ?? 0));
  return Math.max(0, ...tops);
}

/**
 * A dashed line at 100 % when the axis goes past it, so an over-subscribed license (150 %) reads as
 * longer than full, not as full; on the first series (a mark line belongs to one).
 */
function fullMark(horizontal: boolean) {
  return {
    silent: true,
    symbol: 'none',
    lineStyle: { color: TEXT, type: 'dashed' },
    // Above the plot on a horizontal chart (under it are the axis labels), at the right end on a vertical one.
    label: { color: TEXT, formatter: '100%', position: horizontal ? 'start' : 'insideEndTop' },
    data: [horizontal ? { xAxis: 1 } : { yAxis: 1 }],
  };
}

function option(spec: ChartSpec): echarts.EChartsCoreOption {
  const horizontal = spec.kind === 'hbar';
  const multi = spec.series.length > 1;
  // Past 100 %: no fixed max, ECharts' rounded end above the largest value (a max of 1 cut every bar there).
  const pastFull = spec.percent === true && largest(spec) > 1;
  // The legend's room: symbol, gap and the longest (shortened) name at a generous character width.
  const legendWidth = multi ? 48 + CHAR_PX * Math.max(...spec.series.map((x) => short(x.name).length)) : 0;
  const category = {
    type: 'category',
    data: spec.categories.map(short),
    axisLabel: {
      color: TEXT,
      // Under a vertical chart, only as many labels as fit at a generous width (ECharts' own overlap
      // check uses its narrower estimate); the table beside the chart has every category.
      ...(horizontal ? {} : { interval: labelInterval(spec.categories, WIDTH - 56 - 32 - legendWidth) }),
    },
    inverse: horizontal,
  };
  const value = {
    type: 'value',
    name: spec.valueName,
    nameTextStyle: { color: TEXT },
    // Under the bars of a horizontal chart (at its end the name would be cut off).
    ...(horizontal ? { nameLocation: 'middle', nameGap: 28 } : {}),
    axisLabel: { color: TEXT, ...(spec.percent ? { formatter: (v: number) => `${Math.round(v * 100)}%` } : {}) },
    ...(spec.percent && !pastFull ? { max: 1 } : {}),
  };
  return {
    animation: false,
    color: PALETTE,
    textStyle: { fontFamily: 'system-ui, sans-serif', color: TEXT },
    grid: {
      // Room for the longest (shortened) category label.
      left: horizontal ? 24 + CHAR_PX * Math.max(4, ...spec.categories.map((c) => short(c).length)) : 56,
      right: multi ? legendWidth + 16 : 32,
      top: 32,
      bottom: horizontal ? 52 : 40,
    },
    // A vertical legend on the right, placed by its left edge: server-side text widths are estimates
    // (narrower than the browser's font), so a legend placed by its right edge ran off the picture,
    // and a row of long names would overlap.
    legend: multi
      ? {
          orient: 'vertical',
          left: WIDTH - legendWidth,
          top: 'middle',
          textStyle: { color: TEXT },
          formatter: (n: string) => short(n),
        }
      : undefined,
    xAxis: horizontal ? value : category,
    yAxis: horizontal ? category : value,
    series: spec.series.map((s, i) => ({
      name: s.name,
      type: spec.kind === 'line' ? 'line' : 'bar',
      data: s.values,
      ...(spec.kind === 'line' ? { symbolSize: 6 } : { barMaxWidth: 36 }),
      ...(spec.stacked ? { stack: 'total' } : {}),
      ...(pastFull && i === 0 ? { markLine: fullMark(horizontal) } : {}),
    })),
  };
}

/**
 * A rendered SVG in its figure: the picture is an image named by the title (the SVG's text is drawn
 * glyph by glyph; a screen reader gets the title and the table beside it), the caption repeats it.
 */
export function chartFigure(title: string, svg: string): Html {
  return html`<figure class="chart">
    <div role="img" aria-label="${title}">${new Html(svg)}</div>
    <figcaption>${title}</figcaption>
  </figure>`;
}

/** A chart as an SVG rendered on the server (ECharts SSR: no DOM, no client script). */
export function chart(spec: ChartSpec): Html {
  if (spec.categories.length === 0) return html``;
  const height = spec.kind === 'hbar' ? Math.max(170, 84 + spec.categories.length * 26) : 300;
  const c = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height });
  try {
    c.setOption(option(spec));
    const svg = c.renderToSVGString();
    return chartFigure(spec.title, svg);
  } finally {
    c.dispose();
  }
}
