/**
 * The benchmark district's generation, shared by `pnpm bench:licenses` (this folder's main.ts) and
 * `pnpm bench:year` (services/api/src/bench-year/), so both measure the same district.
 */
export { classesPerSchool, schoolDays, SHAPE, type DistrictShape } from './shape';
export { generateRoster } from './roster';
export {
  BENCH_TOPIC,
  generateRollups,
  insertDays,
  LICENSE_BENCH_GENERATION,
  MOST_FOLDS_PER_DAY,
  SCHOOL_DAY_MINUTES,
  type RollupGeneration,
} from './rollups';
export { compactBenchRollups } from './compaction';
export { importInventory } from './inventory';
export { firstLine, ms, percentile, timed } from './timing';
