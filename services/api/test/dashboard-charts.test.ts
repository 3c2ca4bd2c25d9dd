/** The dashboard's charts as drawn (ECharts SSR): bar lengths read back from the SVG. */
import { chart } from '../src/dashboard/charts';

/** Each bar's length in px, in data order (a bar is a path `M<x> <y>l<w> 0l0 <h>…` of one data index). */
function barLengths(svg: string, horizontal: boolean): number[] {
  const bars = [
    ...svg.matchAll(/<path d="M[\d.]+ [\d.]+l([\d.-]+) 0l0 ([\d.-]+)[^"]*"[^>]*ecmeta_data_index="(\d+)"/g),
  ];
  return bars.sort((a, b) => Number(a[3]) - Number(b[3])).map((m) => Math.abs(Number(horizontal ? m[1] : m[2])));
}

/** The dashed lines drawn in the plot (a mark line): their start points. */
const dashedLines = (svg: string) =>
  [...svg.matchAll(/<path d="M([\d.]+) ([\d.]+)L([\d.]+) ([\d.]+)"[^>]*stroke-dasharray/g)].map((m) => ({
    x1: Number(m[1]),
    y1: Number(m[2]),
    x2: Number(m[3]),
    y2: Number(m[4]),
  }));

const utilization = (values: number[]) =>
  chart({
    title: 'Seat utilization',
    kind: 'hbar',
    valueName: 'utilization',
    percent: true,
    categories: values.map((_, i) => `L-${i}`),
    series: [{ name: 'utilization', values }],
  }).value;

describe('percent charts', () => {
  test('a value over 100 % (an over-subscribed license) is drawn longer than 100 %, in proportion', () => {
    const svg = utilization([1.5, 1, 0.5]);
    const [over, full, half] = barLengths(svg, true);
    expect(over! / full!).toBeCloseTo(1.5, 2);
    expect(half! / full!).toBeCloseTo(0.5, 2);
    // 100 % stays marked: a dashed line at the end of the 100 % bar, labelled.
    const lines = dashedLines(svg);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.x1).toBeCloseTo(lines[0]!.x2, 0); // vertical, across the bars
    expect(Math.abs(lines[0]!.x1 - (barStart(svg) + full!))).toBeLessThan(1);
    expect(svg).toMatch(/>100%<\/text>/);
  });

  test('shares up to 100 % keep the axis at 0–100 % and draw no extra line', () => {
    const svg = utilization([0.8, 0.4]);
    const [a, b] = barLengths(svg, true);
    expect(a! / b!).toBeCloseTo(2, 2);
    expect(dashedLines(svg)).toEqual([]);
    // The axis ends at 100 %: 0.8 is 80 % of the plot (from the bar's start to the axis' last label).
    const labels = [...svg.matchAll(/translate\(([\d.]+) [\d.]+\)" fill="[^"]+">(\d+)%</g)].map((m) => ({
      x: Number(m[1]),
      pct: Number(m[2]),
    }));
    const end = labels.at(-1)!;
    expect(end.pct).toBe(100);
    expect(a! / (end.x - barStart(svg))).toBeCloseTo(0.8, 2);
  });

  test('a vertical percent chart past 100 % too (any percent chart)', () => {
    const svg = chart({
      title: 'Shares',
      kind: 'bar',
      valueName: 'share',
      percent: true,
      categories: ['a', 'b'],
      series: [{ name: 'share', values: [1.2, 0.6] }],
    }).value;
    const [a, b] = barLengths(svg, false);
    expect(a! / b!).toBeCloseTo(2, 2);
    expect(dashedLines(svg)).toHaveLength(1);
  });
});

/** Where the bars start (the value axis' 0), px. */
function barStart(svg: string): number {
  return Number(/<path d="M([\d.]+) [\d.]+l[\d.]+ 0/.exec(svg)![1]);
}
