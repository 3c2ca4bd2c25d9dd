/**
 * The three rollup levels: the sink's contribution table, its compacted twin and the cell each groups
 * by. One list for the writer (services/aggregate folds into `parts`), the compaction and the readers.
 */
export type RollupLevel = 'district' | 'school' | 'class';

export interface RollupLevelSpec {
  /** One row per cell per folded offset range (ReplacingMergeTree(range_end), read with FINAL). */
  parts: string;
  /** One row per cell per (month, generation) of a compaction (the `_v2` set of migration 0011). */
  compact: string;
  /** The cell, as a column list. */
  keys: string;
  /** Which stored events the level counts (the class level only those with a class). */
  eventFilter: string;
}

export const ROLLUP_LEVELS: Readonly<Record<RollupLevel, RollupLevelSpec>> = {
  district: {
    parts: 'rollup_district_app_daily_parts',
    compact: 'rollup_district_app_daily_compact_v2',
    keys: 'district_id, local_date, app_id, role',
    eventFilter: '1',
  },
  school: {
    parts: 'rollup_school_app_daily_parts',
    compact: 'rollup_school_app_daily_compact_v2',
    keys: 'district_id, school_id, local_date, app_id, role',
    eventFilter: '1',
  },
  class: {
    parts: 'rollup_class_app_daily_parts',
    compact: 'rollup_class_app_daily_compact_v2',
    keys: 'district_id, school_id, class_id, local_date, app_id, role',
    eventFilter: "class_id != ''",
  },
};

/**
 * In this order the sink folds and re-folds (rollup-deriver.ts): the district level first, so a reader
 * that finds no newer district contribution knows there is none at the other levels (usage-plan.ts's
 * pieceFacts, read.ts's monthsWithNewer).
 */
export const ALL_LEVELS: readonly RollupLevel[] = ['district', 'school', 'class'];

/** The measures every level stores, as aggregate states (docs/ARCHITECTURE.md "Metric rules"). */
export const STATE_COLUMNS = [
  'events',
  'active_users',
  'explicit_seconds',
  'active_minutes',
  'unresolved_person_events',
  'unresolved_app_events',
] as const;
export type StateColumn = (typeof STATE_COLUMNS)[number];

/** The -MergeState function that merges each state column into one state of the same type. */
export const MERGE_STATE: Readonly<Record<StateColumn, string>> = {
  events: 'sumMergeState',
  active_users: 'uniqExactMergeState',
  explicit_seconds: 'sumMergeState',
  active_minutes: 'uniqExactIfMergeState',
  unresolved_person_events: 'sumMergeState',
  unresolved_app_events: 'sumMergeState',
};

/** The month grain (month-grain.ts): one row per cell without day and role per month. */
export const MONTHS_TABLE = 'rollup_app_months_v2';

/** A level's cell without its day and role: what a usage report groups by. */
export const MONTH_CELL: Readonly<Record<RollupLevel, readonly string[]>> = {
  district: ['app_id'],
  school: ['school_id', 'app_id'],
  class: ['school_id', 'class_id', 'app_id'],
};
