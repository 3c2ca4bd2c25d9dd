/**
 * Whether the rollup compaction keeps up: the usable compactions with their checks (until when each was
 * checked complete) and the months with rollups that have none yet. One read for the API's compacted
 * answers, its pipeline lag and the jobs service's compaction at boot.
 */
import type { ClickHouseClient } from '@edusage/clickhouse';
import { monthsWithRollups } from './compact';
import {
  checkedAtOf,
  readCompactionChecks,
  readCompactionState,
  type CompactionChecks,
  type CompactionState,
} from './state';

export interface CompactionStatus {
  /** The usable compactions, as readCompactionState. */
  state: CompactionState;
  /** Their checks (checkedAtOf). */
  checks: CompactionChecks;
  /**
   * The latest check of any month's usable compaction ('YYYY-MM-DD hh:mm:ss' UTC): when the last
   * compaction run took its marks (every run checks every month). Null before any compaction.
   */
  lastCheckedAt: string | null;
  /**
   * Months (YYYYMM) holding rollups that no reader can read through a compaction yet: never compacted,
   * or every compaction invalidated since (a re-fold, migration 0011). Their reads merge every
   * contribution.
   */
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
    state,
    checks,
    lastCheckedAt: checked.at(-1) ?? null,
    monthsNotCompacted: withRollups.filter((m) => !state.months.has(m)),
  };
}

/** CompactionStatus' `monthsNotCompacted` (the jobs service compacts them at boot). */
export async function monthsAwaitingCompaction(ch: ClickHouseClient): Promise<number[]> {
  return (await compactionStatus(ch)).monthsNotCompacted;
}
