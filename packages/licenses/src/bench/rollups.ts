/**
 * A school year of the rollups, generated on the server in the shape the aggregate sink derives
 * (services/aggregate/src/rollup-deriver.ts): each Kafka partition is folded batch by batch, and a
 * fold writes one contribution row per cell (level keys × day × app × role) with the uniqExact states
 * of the people of that cell in that batch, keyed by (topic, partition, range_start), version range_end.
 *
 * Activity model: each person holds `slots` apps, app = ⌊apps · u²⌋ for a hash-uniform u (popular
 * apps first: the most used app reaches ~19 % of students a day, the least ~2 %), and uses each on
 * `dailyUsePercent` % of school days. Hit-style apps (app % 4 = 3) count distinct minutes
 * (`minutesPerHitDay` a day), the others explicit seconds (5 to 45 minutes). A day's use happens in
 * one slice of the 6-hour school day (08:00–14:00 Chicago = 14:00–20:00 UTC): the class's slice
 * when the class uses the app (its period), else the person's own; the partition's batch of that
 * slice folds it. Every level is grouped from the same deterministic uses, so the levels agree:
 * Σ school = district, Σ class = the class-attributed part of each school.
 */
import { command, type ClickHouseClient } from '@edusage/clickhouse';
import { ALL_LEVELS, ROLLUP_LEVELS, type RollupLevel } from '@edusage/rollups';
import {
  appIdSql,
  classNoSql,
  classUsesAppSql,
  personIdSql,
  schoolDays,
  schoolIdSql,
  SHAPE,
  type DistrictShape,
} from './shape';

/** Server settings of the generating INSERTs: one thread, so the machine stays usable for others. */
const GENERATE_SETTINGS = { max_threads: 1 };

export const BENCH_TOPIC = 'bench.usage.enriched';
export const SCHOOL_DAY_MINUTES = 360;
/** A fold can cut a minute into 5-second ticks (the sink's default fold interval). */
const TICKS_PER_MINUTE = 12;
/** The most folds a partition a day: one every tick. */
export const MOST_FOLDS_PER_DAY = SCHOOL_DAY_MINUTES * TICKS_PER_MINUTE;

const COMMON_KEYS = new Set(['district_id', 'local_date', 'app_id', 'role']);

/** Each level's table, its keys beyond (district, day, app, role), and which uses it counts (@edusage/rollups). */
const LEVEL_SQL = Object.fromEntries(
  ALL_LEVELS.map((level) => {
    const spec = ROLLUP_LEVELS[level];
    const keys = spec.keys.split(', ').filter((k) => !COMMON_KEYS.has(k));
    return [level, { table: spec.parts, keys, where: spec.eventFilter }];
  }),
) as Record<RollupLevel, { table: string; keys: string[]; where: string }>;

export interface RollupGeneration {
  levels: readonly RollupLevel[];
  /** Sink batches (folds) per Kafka partition per school day: each slices the school day evenly. */
  batchesPerPartitionDay: number;
  /**
   * Folds per partition per school day, when they cut the day finer than its batches (default: one a
   * batch): the same use, each event in the fold of its minute, as a sink folding more often would.
   */
  foldsPerPartitionDay?: number;
  /** Added to every fold's range_start (default 0): above the watermarks, folds newer than every compaction. */
  rangeBase?: number;
  /** Only the uses of the school day's last this many minutes (default: the whole day). */
  lastMinutes?: number;
}

/** What `pnpm bench:licenses` has always generated: the school level, one fold per partition a day. */
export const LICENSE_BENCH_GENERATION: RollupGeneration = { levels: ['school'], batchesPerPartitionDay: 1 };

/**
 * SQL: one row per event of the uses of `days` (day numbers from `firstIndex`) by one role: the cell
 * keys, the partition and its fold's range_start, the person, seconds, and the minute of hit events.
 */
function usesSql(
  days: string[],
  firstIndex: number,
  role: 's' | 't',
  g: RollupGeneration,
  shape: DistrictShape = SHAPE,
): string {
  const [people, slots] = role === 's' ? [shape.students, shape.studentSlots] : [shape.teachers, shape.teacherSlots];
  const perDay = people * slots;
  const batches = g.batchesPerPartitionDay;
  const folds = g.foldsPerPartitionDay ?? batches;
  const rangeBase = g.rangeBase ?? 0;
  const sliceMinutes = Math.floor(SCHOOL_DAY_MINUTES / batches);
  const foldTicks = Math.floor(MOST_FOLDS_PER_DAY / folds);
  const fromMinute = SCHOOL_DAY_MINUTES - (g.lastMinutes ?? SCHOOL_DAY_MINUTES);
  const daysArray = `[${days.map((d) => `toDate('${d}')`).join(',')}]`;
  const person = `intDiv(number % ${perDay}, ${slots})`;
  return `
    SELECT school_id, class_id, local_date, app_no, part, person_id, secs, is_hit,
           batch * ${sliceMinutes} + cityHash64(person_no, app_no, day_index, arrayJoin(range(if(is_hit, ${shape.minutesPerHitDay}, 1)))) % ${sliceMinutes} AS day_minute,
           toDateTime(toUInt32(toDateTime(local_date, 'UTC')) + 50400 + 60 * day_minute, 'UTC') AS minute,
           day_minute * ${TICKS_PER_MINUTE} + cityHash64(person_no, app_no, day_index, day_minute) % ${TICKS_PER_MINUTE} AS tick,
           (${rangeBase} + toUInt64(day_index) * ${folds} + least(intDiv(tick, ${foldTicks}), ${folds - 1})) AS range_start
    FROM (
      SELECT person_no, day_index, local_date, app_no, ${personIdSql(role, 'person_no')} AS person_id,
             ${schoolIdSql(`person_no % ${shape.schools}`)} AS school_id,
             ${classNoSql('person_no', shape)} AS class_no,
             ${classUsesAppSql('class_no', 'app_no', shape)} AS in_class,
             if(in_class, concat('cls-', toString(class_no)), '') AS class_id,
             toUInt32(cityHash64(person_id) % ${shape.partitions}) AS part,
             toUInt64(if(in_class, cityHash64('period', class_no, app_no, day_index), cityHash64('own', person_no, app_no, day_index)) % ${batches}) AS batch,
             toUInt8(app_no % 4 = 3) AS is_hit,
             if(is_hit, 0, 300 + cityHash64(person_no, app_no, day_index) % 2400) AS secs
      FROM (
        SELECT ${person} AS person_no, ${firstIndex} + intDiv(number, ${perDay}) AS day_index,
               arrayElement(${daysArray}, intDiv(number, ${perDay}) + 1) AS local_date,
               toUInt32(floor(${shape.apps} * pow((cityHash64('${role}', ${person}, number % ${slots}) % 1000000) / 1000000, 2))) AS app_no
        FROM system.numbers LIMIT ${days.length * perDay}
      )
      WHERE cityHash64('${role}', person_no, app_no, day_index) % 100 < ${shape.dailyUsePercent}
    )${
      fromMinute > 0
        ? `
    WHERE day_minute >= ${fromMinute}`
        : ''
    }`;
}

/** INSERT … SELECT of one level's contributions from the uses. */
function levelInsert(level: RollupLevel, uses: string, role: 's' | 't', shape: DistrictShape = SHAPE): string {
  const { table, keys, where } = LEVEL_SQL[level];
  const cell = [...keys, 'local_date', 'app_no', 'part', 'range_start'].join(', ');
  const columns = [
    'district_id',
    ...keys,
    'local_date, app_id, role, kafka_topic, kafka_partition, range_start, range_end',
    'events, active_users, explicit_seconds, active_minutes, unresolved_person_events, unresolved_app_events',
  ].join(', ');
  return `INSERT INTO ${table} (${columns})
    SELECT '${shape.districtId}', ${keys.map((k) => `${k}, `).join('')}local_date, ${appIdSql('app_no')},
           '${role === 's' ? 'student' : 'teacher'}', '${BENCH_TOPIC}', part, range_start, range_start + 1,
           sumState(toUInt64(1)), uniqExactState(person_id), sumState(toUInt64(secs)),
           uniqExactIfState(person_id, minute, is_hit), sumState(toUInt64(0)), sumState(toUInt64(0))
    FROM (${uses}) WHERE ${where}
    GROUP BY ${cell}`;
}

/**
 * The sink's watermarks: every fold's end per partition (1 … days × batches), as `deriveRollups`
 * records them, so `derivedRanges` lists the folded ranges of the generated contributions.
 */
async function writeWatermarks(ch: ClickHouseClient, g: RollupGeneration, shape: DistrictShape = SHAPE): Promise<void> {
  await command(
    ch,
    `INSERT INTO rollup_watermarks (kafka_topic, kafka_partition, derived_to, derived_at)
     SELECT '${BENCH_TOPIC}', toUInt32(intDiv(number, ${shape.schoolDays * g.batchesPerPartitionDay})),
            number % ${shape.schoolDays * g.batchesPerPartitionDay} + 1, now()
     FROM system.numbers LIMIT ${shape.partitions * shape.schoolDays * g.batchesPerPartitionDay}`,
  );
}

/**
 * Batches slice the school day into whole minutes (1 … SCHOOL_DAY_MINUTES a day), folds into 5-second
 * ticks (1 … MOST_FOLDS_PER_DAY), lastMinutes is 1 … SCHOOL_DAY_MINUTES.
 */
function checkBatches(g: RollupGeneration): void {
  const limits = [
    ['batches per partition a day', g.batchesPerPartitionDay, SCHOOL_DAY_MINUTES],
    ['folds per partition a day', g.foldsPerPartitionDay ?? g.batchesPerPartitionDay, MOST_FOLDS_PER_DAY],
    ['the last minutes of the day', g.lastMinutes ?? SCHOOL_DAY_MINUTES, SCHOOL_DAY_MINUTES],
  ] as const;
  for (const [what, n, most] of limits) {
    if (!Number.isInteger(n) || n < 1 || n > most)
      throw new Error(`${what} must be a whole number from 1 to ${most}, not ${n}`);
  }
}

/**
 * Inserts the year, `daysPerInsert` days at a time (each level and role one INSERT); calls `progress`
 * after each chunk with the school days done.
 */
export async function generateRollups(
  ch: ClickHouseClient,
  progress: (daysDone: number) => void,
  g: RollupGeneration = LICENSE_BENCH_GENERATION,
  shape: DistrictShape = SHAPE,
): Promise<void> {
  checkBatches(g);
  const days = schoolDays(shape);
  for (let i = 0; i < days.length; i += shape.daysPerInsert) {
    await insertDays(ch, i, Math.min(i + shape.daysPerInsert, days.length), g, shape);
    progress(Math.min(i + shape.daysPerInsert, days.length));
  }
  await writeWatermarks(ch, g, shape);
}

/**
 * Inserts the contributions of the school days with index `from` … `to` - 1 (no watermark). With the
 * same batches, the same uses whatever the folds: a day generated again with more folds and a
 * `rangeBase` above the watermarks is that day's use folded more often, after the last fold the
 * watermarks record.
 */
export async function insertDays(
  ch: ClickHouseClient,
  from: number,
  to: number,
  g: RollupGeneration,
  shape: DistrictShape = SHAPE,
): Promise<void> {
  checkBatches(g);
  const chunk = schoolDays(shape).slice(from, to);
  for (const role of ['s', 't'] as const) {
    const uses = usesSql(chunk, from, role, g, shape);
    for (const level of g.levels) {
      await ch.command({ query: levelInsert(level, uses, role, shape), clickhouse_settings: GENERATE_SETTINGS });
    }
  }
}
