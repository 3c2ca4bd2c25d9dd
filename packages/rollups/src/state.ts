/**
 * Which compaction a reader may use per month: the newest one recorded that started after the last
 * invalidation (a re-fold rewrites ranges below the marks, so every earlier compaction is stale).
 */
import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';

/** Up to where (exclusive) one Kafka topic-partition's contributions are merged into a compaction. */
export interface CompactionMark {
  topic: string;
  partition: number;
  offset: string;
}

export interface MonthCompaction {
  month: number;
  generation: string;
  marks: readonly CompactionMark[];
  /** When the compaction was recorded (the server's clock, 'YYYY-MM-DD hh:mm:ss' UTC). */
  compactedAt: string;
}

export interface CompactionState {
  /** Per month (YYYYMM), its usable compaction; a month without one is read from contributions alone. */
  months: ReadonlyMap<number, MonthCompaction>;
  /**
   * 'left-out': a compacted month is read through its compaction alone, as of its marks (the
   * contributions folded since are not read: asOfCompactions). Default: they are read too.
   */
  newer?: 'read' | 'left-out';
}

export const NO_COMPACTION: CompactionState = { months: new Map() };

/**
 * The same compactions read "as of the compactions": each compacted month exactly as its compaction
 * holds it, without the contributions folded since (a month without compaction is still read from all
 * its contributions). Such reads skip the merges that the newer rows of the current month bring
 * (docs/ARCHITECTURE.md "Reads as of the compactions").
 */
export const asOfCompactions = (state: CompactionState): CompactionState => ({ ...state, newer: 'left-out' });

/**
 * The compactions a report reads under: `given` (one state for all its queries, e.g. asOfCompactions),
 * else the current ones.
 */
export async function stateToRead(ch: ClickHouseClient, given: CompactionState | undefined): Promise<CompactionState> {
  return given ?? (await readCompactionState(ch));
}

/** Whether reads under `state` leave out the contributions newer than each month's compaction. */
export const leavesOutNewer = (state: CompactionState): boolean => state.newer === 'left-out';

/**
 * The record of finished compactions: one row per (month, generation) with its marks. The `_v2` set
 * (migration 0011) is separate from the first, which older versions wrote (dropped by migration 0013).
 */
export const COMPACTIONS_TABLE = 'rollup_compactions_v2';

/**
 * Checks of a month's compaction (migration 0012): by the run that wrote it and by each later run that
 * found nothing new, keyed by its generation, at the time the run took its marks.
 */
export const CHECKS_TABLE = 'rollup_compaction_checks_v2';

/** The last check of each (month, generation) that has one ('YYYY-MM-DD hh:mm:ss' UTC). */
export type CompactionChecks = ReadonlyMap<string, string>;

/** Every generation's last check; read apart from the state (only answers that show it need it). */
export async function readCompactionChecks(ch: ClickHouseClient): Promise<CompactionChecks> {
  const rows = await queryRows<{ month: number | string; g: string; at: string }>(
    ch,
    `SELECT month, toString(generation) AS g, toString(max(checked_at)) AS at
     FROM ${CHECKS_TABLE} GROUP BY month, generation`,
  );
  return new Map(rows.map((r) => [`${Number(r.month)}/${r.g}`, r.at]));
}

/**
 * Until when a compaction is known to hold everything final: its last check (the time a run took its
 * marks). A generation made before the checks existed has none: its recording time, which is later
 * than its marks by the run's duration.
 */
export function checkedAtOf(c: MonthCompaction, checks: CompactionChecks): string {
  return checks.get(`${c.month}/${c.generation}`) ?? c.compactedAt;
}

const INVALIDATIONS = '(SELECT count() FROM rollup_compaction_invalidations)';

export async function invalidationCount(ch: ClickHouseClient): Promise<string> {
  const [row] = await queryRows<{ n: string }>(ch, `SELECT toString(${INVALIDATIONS}) AS n`);
  return row?.n ?? '0';
}

/** Each month's newest compaction that saw every invalidation recorded so far. */
export async function readCompactionState(ch: ClickHouseClient): Promise<CompactionState> {
  const rows = await queryRows<{
    month: number | string;
    generation: string;
    topics: string[];
    partitions: (number | string)[];
    offsets: string[];
    compacted_at: string;
  }>(
    ch,
    `SELECT month, toString(generation) AS generation, mark_topics AS topics, mark_partitions AS partitions,
            arrayMap(o -> toString(o), mark_offsets) AS offsets, toString(compacted_at) AS compacted_at
     FROM ${COMPACTIONS_TABLE} WHERE invalidations = ${INVALIDATIONS}
     ORDER BY month, generation DESC LIMIT 1 BY month`,
  );
  return {
    months: new Map(
      rows.map((r) => [
        Number(r.month),
        {
          month: Number(r.month),
          generation: r.generation,
          marks: r.topics.map((topic, i) => ({
            topic,
            partition: Number(r.partitions[i]),
            offset: r.offsets[i]!,
          })),
          compactedAt: r.compacted_at,
        },
      ]),
    ),
  };
}
