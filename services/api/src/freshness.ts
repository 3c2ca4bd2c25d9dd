/**
 * `freshness=compacted` (params.ts): a report read as of the rollup compactions, and what the answer
 * says about it. Live reads take no state from here: their reports read the current compactions
 * themselves, with the contributions folded since.
 */
import type { ClickHouseClient } from '@edusage/clickhouse';
import {
  asOfCompactions,
  monthPieces,
  monthsAwaitingCompaction,
  readCompactionState,
  type CompactionState,
} from '@edusage/rollups';

export type Freshness = 'live' | 'compacted';

export interface ReportFreshness {
  /** The compactions the report reads under: as of them for `compacted`; undefined for `live`. */
  rollups: CompactionState | undefined;
  /** What the answer says about its freshness, for the period the report covers. */
  meta(period: { from: string; to: string }): Record<string, unknown>;
}

const LIVE: ReportFreshness = { rollups: undefined, meta: () => ({ freshness: 'live' }) };

/**
 * For a compacted read, the state and the months with rollups not compacted yet, read at once before
 * the report. Its meta: the oldest compaction of the period's months (every figure is at least that
 * fresh) and those of its months with rollups but no compaction (read with everything folded; the
 * jobs service compacts them at its next run).
 */
export async function readFreshness(ch: ClickHouseClient, freshness: Freshness | undefined): Promise<ReportFreshness> {
  if (freshness !== 'compacted') return LIVE;
  const [state, awaitingList] = await Promise.all([readCompactionState(ch), monthsAwaitingCompaction(ch)]);
  const rollups = asOfCompactions(state);
  const awaiting = new Set(awaitingList);
  return {
    rollups,
    meta(period) {
      const months = period.from > period.to ? [] : monthPieces(period.from, period.to).map((p) => p.month);
      const compactedAt = months.flatMap((m) => rollups.months.get(m)?.compactedAt ?? []).sort();
      return {
        freshness: 'compacted',
        compacted_at: compactedAt.length === 0 ? null : `${compactedAt[0]!.replace(' ', 'T')}Z`,
        months_not_compacted: months.filter((m) => awaiting.has(m)),
      };
    },
  };
}
