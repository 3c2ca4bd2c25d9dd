/**
 * `freshness=compacted` (params.ts): a report read as of the rollup compactions, and what the answer
 * says about it. Live reads take nothing from here: their reports read the current compactions
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

/** The compactions a report reads under: as of them for `compacted`, the report's own for `live` (undefined). */
export async function rollupsFor(
  ch: ClickHouseClient,
  freshness: Freshness | undefined,
): Promise<CompactionState | undefined> {
  return freshness === 'compacted' ? asOfCompactions(await readCompactionState(ch)) : undefined;
}

/**
 * What the answer says about its freshness: for a compacted read, the oldest compaction of the period's
 * months (every figure is at least that fresh) and the months with rollups but no compaction yet (read
 * with everything folded; the jobs service compacts them at its next run).
 */
export async function freshnessMeta(
  ch: ClickHouseClient,
  rollups: CompactionState | undefined,
  period: { from: string; to: string },
): Promise<Record<string, unknown>> {
  if (rollups === undefined) return { freshness: 'live' };
  const months = period.from > period.to ? [] : monthPieces(period.from, period.to).map((p) => p.month);
  const compactedAt = months.flatMap((m) => rollups.months.get(m)?.compactedAt ?? []).sort();
  const awaiting = new Set(await monthsAwaitingCompaction(ch));
  return {
    freshness: 'compacted',
    compacted_at: compactedAt.length === 0 ? null : `${compactedAt[0]!.replace(' ', 'T')}Z`,
    months_not_compacted: months.filter((m) => awaiting.has(m)),
  };
}
