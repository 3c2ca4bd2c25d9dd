import type { CpuWindow } from './proc';
import type { LatencySummary } from './probes';

/** Issue 10's targets, as ratios or per-event costs measured within one run (machine-independent). */
export const TARGETS = {
  /** End-to-end sustained rate ÷ bare kafkajs produce→consume of the same events in the same run. */
  sustainedVsBareKafka: 0.5,
  /** ClickHouse CPU seconds per 10k events, in the throughput (saturated) and the paced phase. */
  clickhouseCpuPer10k: 0.3,
  /** p99 ingest→queryable in the paced phase, which runs at this share of the sustained rate. */
  p99IngestToQueryableMs: 2_000,
  pacedShareOfSustained: 0.7,
  rssPerWorkerBytes: 160 * 1024 * 1024,
  /** Report queries (each run's p95; here over the benchmark's district, not a year of 50k students). */
  queryP95Ms: 200,
  /** Our aggregate's rate ÷ ClickHouse's Kafka engine's on the same events (peer race). */
  aggregateVsPeer: 1,
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
