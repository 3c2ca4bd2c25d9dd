/**
 * `pnpm --filter @edusage/outcomes bench [students] [--database <name> --keep]`: how long `analyze`
 * takes for a district of 50k students (default). Writes a synthetic district into a database of its
 * own (dropped at the end, unless `--keep`; a kept `--database` that holds the district is reused, so
 * two versions of the code can be timed on the same data within minutes):
 * roster dimensions (50 schools, classes of 25 whose course uses the app), a pre and a post test per
 * student, and ~12 app events per student between them (usage_events); then times `analyze` (ClickHouse
 * query + statistics for every group) three times and prints the figures. A benchmark, not a test.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { baseConfigSchema, loadConfig } from '@edusage/config';
import {
  createClickHouse,
  dropDatabase,
  ensureDatabase,
  insertRows,
  queryRows,
  runMigrations,
  type ClickHouseClient,
} from '@edusage/clickhouse';
import { analyze, analyzeStudents } from './analysis';
import { loadStudentWindows } from './usage';

const D = 'bench';
const FROM = '2026-09-01';
const TO = '2026-12-01';
const BATCH = 50_000;

/** Deterministic pseudo-random numbers (mulberry32), so every run writes the same district. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function insertBatched(ch: ClickHouseClient, table: string, rows: Iterable<object>): Promise<number> {
  let batch: object[] = [];
  let n = 0;
  for (const r of rows) {
    batch.push(r);
    if (batch.length >= BATCH) {
      await insertRows(ch, table, batch);
      n += batch.length;
      batch = [];
    }
  }
  await insertRows(ch, table, batch);
  return n + batch.length;
}

interface BenchStudent {
  id: string;
  school: string;
  grade: string;
  cls: string;
  minutes: number;
  pre: number;
  post: number;
}

function* students(count: number): Generator<BenchStudent> {
  const next = rng(7);
  for (let i = 0; i < count; i++) {
    const school = `sch-${i % 50}`;
    const grade = String(3 + (i % 6)).padStart(2, '0');
    const minutes = next() < 0.4 ? 0 : Math.floor(next() * 90);
    const pre = Math.round(200 + 12 * (next() - 0.5) * 3);
    yield {
      id: `p${i}`,
      school,
      grade,
      cls: `cls-${Math.floor(i / 25)}`,
      minutes,
      pre,
      post: Math.round(pre + 3 + 0.1 * minutes + 8 * (next() - 0.5)),
    };
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const keep = args.includes('--keep');
  const database = option('--database');
  const count = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--database') ?? 50_000);
  const config = {
    ...loadConfig(baseConfigSchema),
    CLICKHOUSE_DATABASE: database ?? `outcomes_bench_${randomBytes(3).toString('hex')}`,
  };
  await ensureDatabase(config);
  const ch = createClickHouse(config);
  try {
    await runMigrations(ch, path.resolve(__dirname, '../../../infra/clickhouse'));
    const [stored] = await queryRows<{ n: string }>(
      ch,
      `SELECT toString(count()) AS n FROM assessment_results WHERE district_id = '${D}'`,
    );
    if (Number(stored?.n) === 2 * count) console.log(`reusing the ${count} students in ${config.CLICKHOUSE_DATABASE}`);
    else await writeBenchDistrict(ch, count);
    await timeAnalyze(ch);
  } finally {
    await ch.close();
    if (!keep) await dropDatabase(config);
    else console.log(`kept database ${config.CLICKHOUSE_DATABASE}`);
  }
}

/** The synthetic district: roster dimensions, two tests and ~12 events per using student. */
async function writeBenchDistrict(ch: ClickHouseClient, count: number): Promise<void> {
  const t = Date.now();
  const all = [...students(count)];
  const classes = await writeRoster(ch, all);
  await insertBatched(
    ch,
    'assessment_results',
    all.flatMap((s) => [testResult(s, FROM, s.pre), testResult(s, TO, s.post)]),
  );
  const stored = await insertBatched(ch, 'usage_events', benchEvents(all));
  console.log(
    `wrote ${count} students, ${classes} classes, ${2 * count} test results, ${stored} events in ${((Date.now() - t) / 1000).toFixed(1)} s`,
  );
}

/** The roster's dimension tables (one version): the students, their classes and enrollments; the class count. */
async function writeRoster(ch: ClickHouseClient, all: readonly BenchStudent[]): Promise<number> {
  const version = { district_id: D, roster_version: 'r1' };
  await insertRows(ch, 'dim_roster_versions', [
    {
      ...version,
      imported_ms: 1,
      imported_at: '2026-01-01 00:00:00',
      oneroster_version: '1.1',
      orgs: 50,
      classes: 0,
      people: all.length,
      enrollments: all.length,
    },
  ]);
  await insertBatched(
    ch,
    'dim_people',
    all.map((s) => ({
      ...version,
      person_id: s.id,
      role: 'student',
      grade: s.grade,
      school_id: s.school,
      school_ids: [s.school],
      enabled: 1,
      status: 'active',
    })),
  );
  const classes = [...new Set(all.map((s) => s.cls))];
  await insertBatched(
    ch,
    'dim_classes',
    classes.map((c) => ({
      ...version,
      class_id: c,
      title: c,
      class_type: 'scheduled',
      course_id: 'math',
      course_title: 'Math',
      course_code: 'M',
      school_id: '',
      grades: [],
      term_ids: [],
      app_ids: ['ixl'],
      students: 25,
      teachers: 1,
      status: 'active',
    })),
  );
  await insertBatched(
    ch,
    'dim_enrollments',
    all.map((s) => ({
      ...version,
      class_id: s.cls,
      person_id: s.id,
      role: 'student',
      is_primary: 1,
      begin_date: '',
      end_date: '',
      status: 'active',
    })),
  );
  return classes.length;
}

/** One MAP Growth math result of a student. */
function testResult(s: BenchStudent, day: string, score: number) {
  return {
    district_id: D,
    assessment: 'map_growth',
    subject: 'math',
    person_id: s.id,
    test_date: day,
    score,
    window: '',
    standard_error: null,
    percentile: null,
    projected_growth: 3,
    grade: s.grade,
  };
}

// Where the students used the app, so the four campus groups are filled: on, on and off, off, and
// off with half of the events without a known place.
const PLACES = [
  ['on', 'on'],
  ['on', 'off'],
  ['off', 'off'],
  ['unknown', 'off'],
] as const;

/** The usage_events rows: 12 events over the 13 weeks per using student, explicit seconds adding up to their minutes per week. */
function* benchEvents(all: readonly BenchStudent[]): Generator<object> {
  let offset = 0;
  for (const [i, s] of all.entries()) {
    if (s.minutes === 0) continue;
    for (let e = 0; e < 12; e++) {
      const day = new Date(Date.parse(`${FROM}T00:00:00Z`) + (e * 7 + 1) * 86_400_000).toISOString().slice(0, 10);
      yield {
        district_id: D,
        local_date: day,
        occurred_at: `${day} 15:00:00`,
        school_id: s.school,
        class_id: s.cls,
        class_attribution: 'inferred',
        person_id: s.id,
        person_resolved: 1,
        role: 'student',
        app_id: 'ixl',
        app_resolved: 1,
        app_domain: '',
        source: 'agent',
        event_type: 'use',
        campus: PLACES[i % 4]![e % 2]!,
        explicit_seconds: Math.round((s.minutes * 60 * 13) / 12),
        counts_minute: 0,
        event_id: `e${offset}`,
        dedup_key: `k${offset}`,
        kafka_topic: 'bench',
        kafka_partition: 0,
        kafka_offset: offset++,
        stored_at: '2026-12-02 00:00:00',
      };
    }
  }
}

/** The usage query and the statistics once on their own, then `analyze` three times. */
async function timeAnalyze(ch: ClickHouseClient): Promise<void> {
  const q = { districtId: D, app: 'ixl', assessment: 'map_growth', subject: 'math', from: FROM, to: TO };
  let t = Date.now();
  const data = await loadStudentWindows(ch, q);
  const queryMs = Date.now() - t;
  t = Date.now();
  analyzeStudents(q, data.students);
  console.log(
    `parts: ClickHouse query ${(queryMs / 1000).toFixed(2)} s, statistics ${((Date.now() - t) / 1000).toFixed(2)} s`,
  );
  const times: number[] = [];
  // CPU time of this process too: on a shared, loaded machine the wall time mostly measures the queue.
  const cpuSeconds: number[] = [];
  for (let run = 0; run < 3; run++) {
    t = Date.now();
    const cpu = process.cpuUsage();
    const a = await analyze(ch, q);
    times.push(Date.now() - t);
    const used = process.cpuUsage(cpu);
    cpuSeconds.push((used.user + used.system) / 1e6);
    if (run === 0) console.log(`analysis: ${a.students} students, ${a.groups.length} groups shown`);
  }
  console.log(
    `analyze: ${times.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(', ')} (median ${([...times].sort((x, y) => x - y)[1]! / 1000).toFixed(2)} s); ` +
      `CPU of this process (statistics, JSON parsing; not ClickHouse's): ${cpuSeconds.map((c) => `${c.toFixed(2)} s`).join(', ')}`,
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
