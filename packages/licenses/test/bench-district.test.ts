/**
 * The benchmark district's generator (src/bench, shared by bench:licenses and bench:year) writes the
 * rollups as the sink would: no two contributions share a replacing key (FINAL drops nothing), at most
 * one contribution per cell × partition × fold, the folds' watermarks recorded, the levels agreeing
 * with each other, and class rows only for a class of that school that uses the app (roster app_ids).
 * A small district of 2 schools over 2 days, 8 folds a partition a day. Last, a day generated again in
 * more folds above the watermarks (bench:year --newer-day) is the same use in more contributions.
 */
import { createClickHouse, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { ALL_LEVELS, ROLLUP_LEVELS } from '@edusage/rollups';
import { generateRollups, generateRoster, insertDays, schoolDays, SHAPE } from '../src/bench/district';

jest.setTimeout(180_000);

const shape = { ...SHAPE, schools: 2, classes: 4, students: 200, teachers: 10, schoolDays: 2, daysPerInsert: 1 };
const BATCHES = 8;

let env: TestEnv;
let ch: ClickHouseClient;

const one = async (sql: string) => (await queryRows<Record<string, string>>(ch, sql))[0]!;

beforeAll(async () => {
  env = await createTestEnv('bench_district', { kafka: false });
  ch = createClickHouse(env.config);
  await generateRoster(ch, shape);
  await generateRollups(ch, () => undefined, { levels: ALL_LEVELS, batchesPerPartitionDay: BATCHES }, shape);
});

afterAll(async () => {
  await ch?.close();
  await env?.cleanup();
});

test.each(ALL_LEVELS)('%s: every contribution has its own key, within the partitions and folds', async (level) => {
  const t = ROLLUP_LEVELS[level].parts;
  const r = await one(
    `SELECT count() AS rows, (SELECT count() FROM ${t} FINAL) AS final_rows,
            max(kafka_partition) AS max_part, min(range_start) AS min_start, max(range_start) AS max_start,
            max(range_end - range_start) AS max_len, min(range_end - range_start) AS min_len
     FROM ${t}`,
  );
  expect(Number(r.rows)).toBeGreaterThan(0);
  expect(r.final_rows).toBe(r.rows);
  expect(Number(r.max_part)).toBe(shape.partitions - 1);
  expect(Number(r.min_start)).toBe(0);
  expect(Number(r.max_start)).toBeLessThan(shape.schoolDays * BATCHES);
  expect([r.min_len, r.max_len]).toEqual(['1', '1']);
});

test('the watermarks record every fold of every partition', async () => {
  const marks = await queryRows<{ p: number; n: string; lo: string; hi: string }>(
    ch,
    `SELECT kafka_partition AS p, uniqExact(derived_to) AS n, min(derived_to) AS lo, max(derived_to) AS hi
     FROM rollup_watermarks GROUP BY p ORDER BY p`,
  );
  const folds = String(shape.schoolDays * BATCHES);
  expect(marks).toEqual([0, 1, 2].map((p) => ({ p, n: folds, lo: '1', hi: folds })));
});

test('the levels agree: district = Σ schools, classes within their school', async () => {
  const events = await one(
    `SELECT (SELECT sumMerge(events) FROM rollup_district_app_daily_parts) AS district,
            (SELECT sumMerge(events) FROM rollup_school_app_daily_parts) AS school,
            (SELECT sumMerge(events) FROM rollup_class_app_daily_parts) AS class`,
  );
  expect(events.district).toBe(events.school);
  expect(Number(events.class)).toBeGreaterThan(0);
  expect(Number(events.class)).toBeLessThan(Number(events.school));
  // Each person is at one school: the district's people of an app are the schools' added up.
  const people = await queryRows<{ app_id: string; role: string; district: string; schools: string }>(
    ch,
    `SELECT app_id, role, district, schools FROM
       (SELECT app_id, role, uniqExactMerge(active_users) AS district FROM rollup_district_app_daily_parts GROUP BY app_id, role)
     ANY LEFT JOIN
       (SELECT app_id, role, sum(n) AS schools FROM
          (SELECT school_id, app_id, role, uniqExactMerge(active_users) AS n FROM rollup_school_app_daily_parts GROUP BY school_id, app_id, role)
        GROUP BY app_id, role)
     USING app_id, role ORDER BY app_id, role`,
  );
  expect(people.length).toBeGreaterThan(10);
  for (const p of people) expect(p.district).toBe(p.schools);
  const above = await one(
    `SELECT count() AS n FROM
       (SELECT school_id, local_date, app_id, role, sumMerge(events) AS c FROM rollup_class_app_daily_parts GROUP BY school_id, local_date, app_id, role)
     ANY LEFT JOIN
       (SELECT school_id, local_date, app_id, role, sumMerge(events) AS s FROM rollup_school_app_daily_parts GROUP BY school_id, local_date, app_id, role)
     USING school_id, local_date, app_id, role WHERE c > s`,
  );
  expect(above.n).toBe('0');
});

test("class rows are for a class of that school (the roster's) that uses the app", async () => {
  const r = await one(
    `SELECT count() AS rows, countIf(roster_school = school_id AND has(app_ids, app_id)) AS matching FROM
       (SELECT class_id, school_id, app_id FROM rollup_class_app_daily_parts)
     ANY LEFT JOIN (SELECT class_id, school_id AS roster_school, app_ids FROM dim_classes) USING class_id`,
  );
  expect(Number(r.rows)).toBeGreaterThan(0);
  expect(r.matching).toBe(r.rows);
});

test('a class uses an app in one slice of the day: its contributions are at most one per partition', async () => {
  const r = await one(
    `SELECT max(n) AS most FROM (SELECT count() AS n FROM rollup_class_app_daily_parts
       GROUP BY class_id, local_date, app_id, role, kafka_partition)`,
  );
  expect(r.most).toBe('1');
});

test.each(ALL_LEVELS)(
  '%s: a day generated again in 4320 folds (one every 5 s) above the watermarks is the same use in more contributions',
  async (level) => {
    const base = 1000; // above every watermark (2 days × 8 folds)
    const day = schoolDays(shape)[1]!;
    if (level === ALL_LEVELS[0])
      await insertDays(
        ch,
        1,
        2,
        { levels: ALL_LEVELS, batchesPerPartitionDay: BATCHES, foldsPerPartitionDay: 4320, rangeBase: base },
        shape,
      );
    const spec = ROLLUP_LEVELS[level];
    const figures = async (ranges: string) =>
      queryRows<Record<string, string>>(
        ch,
        `SELECT ${spec.keys}, count() AS contributions, sumMerge(events) AS events, uniqExactMerge(active_users) AS people,
                sumMerge(explicit_seconds) AS seconds, uniqExactIfMerge(active_minutes) AS minutes
         FROM ${spec.parts} WHERE local_date = toDate('${day}') AND ${ranges}
         GROUP BY ${spec.keys} ORDER BY ${spec.keys}`,
      );
    const [before, again] = await Promise.all([figures(`range_start < ${base}`), figures(`range_start >= ${base}`)]);
    const withoutCount = (rows: Record<string, string>[]) => rows.map(({ contributions: _, ...r }) => r);
    expect(before.length).toBeGreaterThan(0);
    expect(withoutCount(again)).toEqual(withoutCount(before));
    const total = (rows: Record<string, string>[]) => rows.reduce((n, r) => n + Number(r.contributions), 0);
    expect(total(again)).toBeGreaterThan(total(before));
  },
);

test.each(ALL_LEVELS)(
  "%s: a day's last 45 minutes generated again are the use of its last fold (of 8, 45 minutes each)",
  async (level) => {
    const base = 100_000; // above the rows of the test before
    const dayIndex = 1;
    const day = schoolDays(shape)[dayIndex]!;
    if (level === ALL_LEVELS[0])
      await insertDays(
        ch,
        dayIndex,
        dayIndex + 1,
        {
          levels: ALL_LEVELS,
          batchesPerPartitionDay: BATCHES,
          foldsPerPartitionDay: 60,
          lastMinutes: 45,
          rangeBase: base,
        },
        shape,
      );
    const spec = ROLLUP_LEVELS[level];
    const figures = async (ranges: string) =>
      queryRows<Record<string, string>>(
        ch,
        `SELECT ${spec.keys}, sumMerge(events) AS events, uniqExactMerge(active_users) AS people,
                sumMerge(explicit_seconds) AS seconds, uniqExactIfMerge(active_minutes) AS minutes
         FROM ${spec.parts} WHERE local_date = toDate('${day}') AND ${ranges}
         GROUP BY ${spec.keys} ORDER BY ${spec.keys}`,
      );
    const lastFold = dayIndex * BATCHES + BATCHES - 1;
    const [original, again] = await Promise.all([
      figures(`range_start = ${lastFold}`),
      figures(`range_start >= ${base}`),
    ]);
    expect(original.length).toBeGreaterThan(0);
    expect(again).toEqual(original);
  },
);

test('more folds a day than 5-second ticks in the school day, or more last minutes than it has, are refused', async () => {
  const g = { levels: ['district'] as const, batchesPerPartitionDay: BATCHES };
  await expect(insertDays(ch, 0, 1, { ...g, foldsPerPartitionDay: 4321 }, shape)).rejects.toThrow(
    /folds per partition a day must be a whole number from 1 to 4320, not 4321/,
  );
  for (const lastMinutes of [0, 361, 1.5])
    await expect(insertDays(ch, 0, 1, { ...g, lastMinutes }, shape)).rejects.toThrow(
      new RegExp(`the last minutes of the day must be a whole number from 1 to 360, not ${lastMinutes}`),
    );
});
