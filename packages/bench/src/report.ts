import type { CpuWindow } from './proc';
import type { LatencySummary } from './probes';

export const TARGETS = {
  sustainedEventsPerSecond: 20_000,
  p99IngestToQueryableMs: 5_000,
  rssPerWorkerBytes: 256 * 1024 * 1024,
};

export const MiB = 1024 * 1024;
export const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const fmt1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
export const fmt2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
export const fmtMs = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n) ? 'n/a' : `${(n / 1000).toFixed(2)} s`;

/** A plain text table: first row is the header; numbers should already be formatted. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function latencyRow(label: string, l: LatencySummary): string[] {
  return [
    label,
    String(l.visible),
    fmtMs(l.fromAckMs?.p50),
    fmtMs(l.fromAckMs?.p90),
    fmtMs(l.fromAckMs?.p99),
    fmtMs(l.fromAckMs?.max),
    fmtMs(l.fromSendMs?.p99),
    String(l.notVisible + l.failed),
  ];
}

export function cpuRows(names: string[], w: CpuWindow, events: number): string[][] {
  return names
    .filter((n) => w.cpuSeconds[n] !== undefined)
    .map((n) => [n, fmt1(w.cpuSeconds[n]!), fmt2(w.cores[n]!), fmt2((w.cpuSeconds[n]! / events) * 10_000)]);
}

export const verdict = (ok: boolean) => (ok ? 'MET' : 'NOT MET');

export const say = (line: string) => process.stdout.write(line + '\n');
/** Seconds since `since` (a Date.now()), for the phases' timing lines. */
export const secs = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
