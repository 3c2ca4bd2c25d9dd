/**
 * `freshness=compacted` (params.ts): a report read as of the rollup compactions, and what the answer
 * says about it. For `live` the report reads the current compactions itself, with the contributions
 * folded since; the answer says only that it is live.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { z } from 'zod';
import type { ClickHouseClient } from '@edusage/clickhouse';
import { asOfCompactions, checkedAtOf, compactionStatus, monthPieces, type CompactionState } from '@edusage/rollups';
import { freshness } from './params';

export type Freshness = NonNullable<z.infer<typeof freshness>>;

/** What an answer says about its freshness, beside its rows (and in the OpenAPI document). */
export const freshnessMeta = z.object({
  freshness: freshness.unwrap().describe('as read: as asked, else the deployment default (API_DEFAULT_FRESHNESS)'),
  compactions: z
    .array(
      z.object({
        month: z.number().int().describe('YYYYMM'),
        compacted_at: z.string().describe('UTC, when the compaction read was recorded'),
        checked_at: z
          .string()
          .describe(
            'UTC, the last time a compaction run found that this compaction held everything final (its own recording or a later run that found nothing new)',
          ),
      }),
    )
    .optional()
    .describe(
      'compacted: each month of the period read through a compaction (a month with nothing new since keeps an earlier compaction and lacks nothing; checked_at says until when)',
    ),
  months_not_compacted: z
    .array(z.number().int())
    .optional()
    .describe('compacted: months of the period with rollups but no compaction yet, read with everything folded'),
});
export type FreshnessMeta = z.infer<typeof freshnessMeta>;

export interface ReportFreshness {
  /** The compactions the report reads under: as of them for `compacted`; undefined for `live`. */
  rollups: CompactionState | undefined;
  /** What the answer says about its freshness, for the period the report covers. */
  meta(period: { from: string; to: string }): FreshnessMeta;
}

/** The usage reports' option for a freshness (`UsageReadAs`; nothing for live). */
export const readAs = (fresh: ReportFreshness): { rollups?: CompactionState } =>
  fresh.rollups === undefined ? {} : { rollups: fresh.rollups };

/** What an answer over a period covers (district, days), and how fresh it is. */
export const periodMeta = (period: { districtId: string; from: string; to: string }, fresh: ReportFreshness) => ({
  district_id: period.districtId,
  from: period.from,
  to: period.to,
  ...fresh.meta(period),
});

/** ClickHouse's 'YYYY-MM-DD hh:mm:ss' (UTC) as ISO 8601. */
export const utc = (t: string) => `${t.replace(' ', 'T')}Z`;

const LIVE: ReportFreshness = { rollups: undefined, meta: () => ({ freshness: 'live' }) };

/**
 * The freshness a report reads with: as asked, else the deployment's default (`API_DEFAULT_FRESHNESS`,
 * compacted unless set). For a compacted read: the compactions to read under and, from the same state,
 * the months with rollups that have none yet (the jobs service compacts them at its next run), both
 * read before the report. A month's compaction time is that of the last run that found something new
 * in it: a month with nothing new since keeps an earlier one and lacks nothing, which its last check says.
 */
export async function readFreshness(
  deps: { ch: ClickHouseClient; defaultFreshness: Freshness },
  asked: Freshness | undefined,
): Promise<ReportFreshness> {
  if ((asked ?? deps.defaultFreshness) !== 'compacted') return LIVE;
  const shared = sharedCompacted.getStore();
  if (shared === undefined) return readCompacted(deps.ch);
  shared.read ??= readCompacted(deps.ch);
  return shared.read;
}

/**
 * Inside `oneCutOfCompactions`, every compacted read shares one read of the compaction state: the
 * dashboard builds a page from many endpoint calls, which then go by the same compactions (a
 * compaction recorded mid-build cannot split the page) and read the state once. The generations read
 * stay for a grace after they are superseded (SUPERSEDED_GRACE_SECONDS in @edusage/rollups).
 */
const sharedCompacted = new AsyncLocalStorage<{ read?: Promise<ReportFreshness> }>();

export const oneCutOfCompactions = <T>(build: () => Promise<T>): Promise<T> => sharedCompacted.run({}, build);

async function readCompacted(ch: ClickHouseClient): Promise<ReportFreshness> {
  const { state, checks, monthsNotCompacted } = await compactionStatus(ch);
  const awaiting = new Set(monthsNotCompacted);
  const rollups = asOfCompactions(state);
  return {
    rollups,
    meta(period) {
      const months = period.from > period.to ? [] : monthPieces(period.from, period.to).map((p) => p.month);
      return {
        freshness: 'compacted',
        compactions: months.flatMap((month) => {
          const c = rollups.months.get(month);
          return c === undefined
            ? []
            : [{ month, compacted_at: utc(c.compactedAt), checked_at: utc(checkedAtOf(c, checks)) }];
        }),
        months_not_compacted: months.filter((m) => awaiting.has(m)),
      };
    },
  };
}
