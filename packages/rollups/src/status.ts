/**
 * Whether the rollup compaction keeps up, for operators (the API's pipeline lag): until when the
 * compactions were last checked complete, and which months with rollups have none yet.
 */
import type { ClickHouseClient } from '@edusage/clickhouse';
import { monthsWithRollups } from './compact';
import { checkedAtOf, readCompactionChecks, readCompactionState } from './state';

export interface CompactionStatus {
  /**
   * The latest check of any month's usable compaction ('YYYY-MM-DD hh:mm:ss' UTC): when the last
   * compaction run took its marks (every run checks every month). Null before any compaction.
   */
  lastCheckedAt: string | null;
  /** Months (YYYYMM) holding rollups without a usable compaction: read with everything folded. */
  monthsNotCompacted: number[];
}

export async function compactionStatus(ch: ClickHouseClient): Promise<CompactionStatus> {
  const [state, checks, withRollups] = await Promise.all([
    readCompactionState(ch),
    readCompactionChecks(ch),
    monthsWithRollups(ch),
  ]);
  const checked = [...state.months.values()].map((c) => checkedAtOf(c, checks)).sort();
  return {
    lastCheckedAt: checked.at(-1) ?? null,
    monthsNotCompacted: withRollups.filter((m) => !state.months.has(m)),
  };
}
