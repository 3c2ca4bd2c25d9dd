/**
 * The report reads of issues 8 and 10 over the benchmark year, each as the API request a dashboard
 * makes and as the function that endpoint calls (for `--direct`), and their timing.
 */
import type { ClickHouseClient } from '@edusage/clickhouse';
import { percentile, timed } from '@edusage/licenses/dist/bench/district';
import { licenseTableFor } from '@edusage/licenses';
import {
  classAppUsageListing,
  districtAppUsageListing,
  schoolAppUsageListing,
  type Period,
  type UsageListing,
  type UsageReadAs,
} from '@edusage/reports';
import { asOfCompactions, readCompactionState } from '@edusage/rollups';
import type { Freshness } from '../freshness';

export interface ReadSpec {
  name: string;
  /** Path and query of the API request. */
  path: string;
  /** What the endpoint's handler calls, and how many rows it gives. */
  direct: (ch: ClickHouseClient) => Promise<number>;
}

export interface YearDays {
  districtId: string;
  term: { from: string; to: string };
  month: { from: string; to: string };
  /** The school of the one-school reads. */
  schoolId: string;
  /** as_of of the license table: the last school day. */
  asOf: string;
  schoolDays: number;
}

const q = (p: { from: string; to: string }) => `from=${p.from}&to=${p.to}`;

/** Rows of a usage listing, objects or JSON text, as the endpoint has them (the text not parsed). */
const rowCount = (listing: UsageListing<unknown>) => (Array.isArray(listing) ? listing.length : listing.rows);

/**
 * The reads, as of the compactions (`freshness=compacted`, the API's default; in process the state each
 * endpoint call reads, services/api/src/freshness.ts) or live. The requests name their freshness, so
 * they read the same whatever the API's default.
 */
export function readSpecs(y: YearDays, freshness: Freshness = 'compacted'): ReadSpec[] {
  const term: Period = { districtId: y.districtId, ...y.term };
  const month: Period = { districtId: y.districtId, ...y.month };
  const specs = allSpecs(y, term, month);
  if (freshness === 'live')
    return specs.map((s) => ({ ...s, path: `${s.path}&freshness=live`, direct: (ch) => s.direct(ch, {}) }));
  return specs.map((s) => ({
    name: s.name,
    path: `${s.path}&freshness=compacted`,
    direct: async (ch) => s.direct(ch, { rollups: asOfCompactions(await readCompactionState(ch)) }),
  }));
}

function allSpecs(
  y: YearDays,
  term: Period,
  month: Period,
): (Omit<ReadSpec, 'direct'> & { direct: (ch: ClickHouseClient, as: UsageReadAs) => Promise<number> })[] {
  return [
    {
      name: 'usage per app, term (district)',
      path: `/v1/usage/district?${q(y.term)}`,
      direct: async (ch, as) => rowCount(await districtAppUsageListing(ch, term, {}, as)),
    },
    {
      name: 'school × app, term',
      path: `/v1/usage/schools?${q(y.term)}`,
      direct: async (ch, as) => rowCount(await schoolAppUsageListing(ch, term, {}, as)),
    },
    {
      name: 'school × app, month',
      path: `/v1/usage/schools?${q(y.month)}`,
      direct: async (ch, as) => rowCount(await schoolAppUsageListing(ch, month, {}, as)),
    },
    {
      name: 'class × app, month (district)',
      path: `/v1/usage/classes?${q(y.month)}`,
      direct: async (ch, as) => rowCount(await classAppUsageListing(ch, month, {}, as)),
    },
    {
      name: `class × app, month (${y.schoolId})`,
      path: `/v1/usage/classes?${q(y.month)}&school=${y.schoolId}`,
      direct: async (ch, as) => rowCount(await classAppUsageListing(ch, month, { schoolId: y.schoolId }, as)),
    },
    {
      name: 'license table, 30d',
      path: `/v1/licenses?window=30d&as_of=${y.asOf}`,
      direct: async (ch, as) =>
        (await licenseTableFor(ch, y.districtId, '30d', y.asOf, undefined, as.rollups)).licenses.length,
    },
  ];
}

export type Timing =
  | { name: string; rows: number; p50: number; p95: number; max: number }
  | { name: string; failed: string; afterMs: number };

/**
 * One warm-up, then `runs` timed runs of `run` (which returns the rows it got). A read that fails
 * (e.g. the server's memory limit) is reported with `why` of the failure and not run again.
 */
export async function timeRead(
  name: string,
  runs: number,
  run: () => Promise<number>,
  why: (err: unknown) => string | Promise<string>,
): Promise<Timing> {
  const samples: number[] = [];
  let rows = 0;
  for (let i = 0; i <= runs; i++) {
    const started = process.hrtime.bigint();
    try {
      const t = await timed(run);
      rows = t.value;
      if (i > 0) samples.push(t.ms);
    } catch (err) {
      const afterMs = Number(process.hrtime.bigint() - started) / 1e6;
      return { name, failed: await why(err), afterMs };
    }
  }
  return { name, rows, p50: percentile(samples, 0.5), p95: percentile(samples, 0.95), max: Math.max(...samples) };
}

/** A GET with the token; the rows of its JSON list (a failed request fails the benchmark). */
export async function getRows(baseUrl: string, token: string, path: string): Promise<number> {
  const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status} ${body.slice(0, 300)}`);
  return (JSON.parse(body) as { rows: unknown[] }).rows.length;
}
