import { performance } from 'node:perf_hooks';
import type { ClickHouseClient } from '@edusage/clickhouse';
import { classAppUsage, districtAppUsage, schoolAppUsage, unresolvedSummary, type Period } from '@edusage/reports';
import { DISTRICT, type BenchContext } from '../context';
import { percentile } from '../probes';
import { fmtInt, say, table } from '../report';
import type { BenchData } from './reset';

export interface QueryTiming {
  /** Rows (or top-level entries) the query returned. */
  rows: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  ms: number[];
}

export interface QueriesResult {
  period: Period;
  runs: number;
  byQuery: Record<string, QueryTiming>;
}

/** The report functions behind the usage pages and `GET /v1/usage/*` (packages/reports), by name. */
const REPORT_QUERIES: Record<string, (ch: ClickHouseClient, p: Period) => Promise<unknown>> = {
  'district app usage': districtAppUsage,
  'school app usage': schoolAppUsage,
  'class app usage': classAppUsage,
  'unresolved summary': unresolvedSummary,
};

/**
 * Phase 7 (skipped with --query-runs 0): the usage reports over the district's whole period, on the
 * rollups the load just stored, one at a time with the services stopped: one warm-up run, then
 * --query-runs timed runs each.
 */
export async function runQueries(
  ctx: BenchContext,
  data: BenchData,
  db: ClickHouseClient,
): Promise<QueriesResult | undefined> {
  const runs = ctx.opts.queryRuns;
  if (runs <= 0) return undefined;
  const days = data.district.days;
  const period: Period = { districtId: DISTRICT, from: days[0]!.date, to: days[days.length - 1]!.date };
  say(`[7/9] report queries over ${period.from}…${period.to}, ${runs} runs each after a warm-up (services stopped)`);
  const byQuery: Record<string, QueryTiming> = {};
  for (const [name, query] of Object.entries(REPORT_QUERIES)) {
    const result = await query(db, period);
    const rows = Array.isArray(result) ? result.length : 1;
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      await query(db, period);
      ms.push(performance.now() - start);
    }
    const sorted = [...ms].sort((a, b) => a - b);
    byQuery[name] = {
      rows,
      p50Ms: percentile(sorted, 50),
      p95Ms: percentile(sorted, 95),
      maxMs: sorted[sorted.length - 1]!,
      ms,
    };
  }
  const slowest = Object.entries(byQuery).sort((a, b) => b[1].p50Ms - a[1].p50Ms)[0]!;
  say(`      slowest: ${slowest[0]}, p50 ${fmtInt(slowest[1].p50Ms)} ms (table in the summary)`);
  return { period, runs, byQuery };
}

/** query / rows / p50 / max, for the summary. */
export function queriesTable(q: QueriesResult): string {
  return table([
    ['query', 'rows', 'p50 ms', 'p95 ms', 'max ms'],
    ...Object.entries(q.byQuery).map(([name, t]) => [
      name,
      fmtInt(t.rows),
      fmtInt(t.p50Ms),
      fmtInt(t.p95Ms),
      fmtInt(t.maxMs),
    ]),
  ]);
}
