export {
  ROLLUP_LEVELS,
  ALL_LEVELS,
  STATE_COLUMNS,
  type RollupLevel,
  type RollupLevelSpec,
  type StateColumn,
} from './levels';
export { addDays, dateSlices, daysOf, monthOf, monthPieces } from './months';
export {
  readCompactionState,
  asOfCompactions,
  leavesOutNewer,
  stateToRead,
  readCompactionChecks,
  checkedAtOf,
  COMPACTIONS_TABLE,
  CHECKS_TABLE,
  NO_COMPACTION,
  type CompactionState,
  type CompactionMark,
  type MonthCompaction,
  type CompactionChecks,
} from './state';
export {
  rollupRows,
  compactedRows,
  newerRows,
  monthsWithNewer,
  type NewerMonths,
  type RollupWindow,
  type RollupReadOptions,
} from './read';
export {
  compactRollups,
  compactMonth,
  oldestKeptGeneration,
  type RecordedGeneration,
  monthsWithRollups,
  SUPERSEDED_GRACE_SECONDS,
  invalidateCompactions,
  type CompactOptions,
  type MonthCompactionResult,
} from './compact';
export { compactionStatus, monthsAwaitingCompaction, type CompactionStatus } from './status';
export { distinctPersonMinutes, groupKey } from './minutes';
export {
  countsFor,
  mondayOf,
  writeCounts,
  COUNTS_TABLE,
  type StoredCount,
  type RollupCounts,
  type CountCell,
  type CountsWanted,
} from './counts';
export { MONTH_CELL, MONTHS_TABLE } from './levels';
export { hasMonthGrain, writeMonthGrain } from './month-grain';
export { RUNS_TABLE, runCounts, runsHolding, runStatePeople } from './month-runs';
export {
  usageByCell,
  usageRead,
  type MonthRowsAlone,
  type UsageMeasures,
  type UsageRead,
  type UsageReadOptions,
  type UsageWindow,
} from './usage';
