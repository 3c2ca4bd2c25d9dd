/**
 * Vendor usage exports through the real import into the real Kafka (testkit topics): the real
 * samples under ../shared/fixtures/edfi-lms-toolkit, re-imports, bad rows, and the CLI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { createKafka, createProducer } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import type { DeadLetter, RawMessage } from '@edusage/contracts';
import { loadIngestConfig } from '../src/config';
import { runImport, type ImportOptions } from '../src/import';
import { KafkaSink } from '../src/sink';
import { TopicCollector } from './helpers';

const LMS = path.resolve(__dirname, '../../../../shared/fixtures/edfi-lms-toolkit');
const SCHOOLOGY = path.join(
  LMS,
  'sample-in/Schoology-User-Activities-Export/example.schoology.user.activities.export.csv',
);
const SYSTEM = path.join(LMS, 'sample-out/system-activities/date=2020-11-17/2020-11-18-11-16-09.csv');
const USERS = path.join(LMS, 'sample-out/users/2020-11-01-00-00-01.csv');
const GC = ['usage-1st.csv', 'usage-2nd-overlaps-1st.csv', 'usage-3rd-overlaps-1st-and-2nd.csv'].map((f) =>
  path.join(LMS, 'google-classroom-usage', f),
);
const cli = path.resolve(__dirname, '../dist/cli.js');
/** The samples are from 2020: the clock for the 5-year bound is set to 2021. */
const referenceTime = new Date('2021-01-01T00:00:00Z');

let env: TestEnv;
let producer: Producer;
let sink: KafkaSink;
let collector: TopicCollector;
let dir: string;

beforeAll(async () => {
  env = await createTestEnv('ingest_vendor');
  const config = loadIngestConfig(env.env);
  const kafka = createKafka(config, createLogger('ingest-vendor-test', env.env.LOG_LEVEL));
  producer = await createProducer(kafka);
  sink = new KafkaSink(producer, env.topics);
  collector = new TopicCollector(kafka, [env.topics.raw, env.topics.dlq]);
  await collector.start();
  dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-vendor-'));
}, 120_000);

afterAll(async () => {
  await collector?.stop();
  await producer?.disconnect();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await env?.cleanup();
});

const opts = (file: string, format: ImportOptions['format'], extra: Partial<ImportOptions> = {}): ImportOptions => ({
  file,
  format,
  districtId: 'grand-bend',
  source: 'import',
  progress: 'none',
  referenceTime,
  batchSize: 10, // several batches in flight
  ...extra,
});
const fromFile = (name: string) => (m: { origin?: string }) => (m.origin ?? '').startsWith(`${name}:`);

test('Schoology export: 45 rows into usage.raw; a re-import writes the same events with the same ids', async () => {
  const name = path.basename(SCHOOLOGY);
  const first = await runImport(opts(SCHOOLOGY, 'schoology-activities'), sink);
  expect(first).toMatchObject({ lines: 45, accepted: 45, rejected: 0, skipped: 0 });
  const once = await collector.waitFor<RawMessage>(env.topics.raw, fromFile(name), 45);
  expect(once).toHaveLength(45);
  // Line 2 is Kyle Hughes signing in: keyed by his district id, the roster's sourcedId 604874.
  const line2 = once.find((m) => m.value.origin === `${name}:2`)!;
  expect(line2.key).toBe('grand-bend|604874');
  expect(line2.value.event).toMatchObject({ type: 'login', occurred_at: '2020-11-04T17:28:43.097Z' });

  const second = await runImport(opts(SCHOOLOGY, 'schoology-activities'), sink);
  expect(second).toMatchObject({ lines: 45, accepted: 45 });
  const twice = await collector.waitFor<RawMessage>(env.topics.raw, fromFile(name), 90);
  expect(twice).toHaveLength(90);
  // What the topic holds for each run: key, origin and event are identical (only received_at differs).
  const view = (ms: typeof twice) => ms.map((m) => JSON.stringify([m.key, m.value.origin, m.value.event])).sort();
  const firstRun = view(once);
  const secondRun = view(twice.filter((m) => !once.includes(m)));
  expect(secondRun).toEqual(firstRun);
  expect(new Set(twice.map((m) => m.value.event.event_id)).size).toBe(45);
});

test('Google Classroom snapshots: 164 rows over three overlapping files are 99 distinct events', async () => {
  for (const file of GC) {
    const s = await runImport(opts(file, 'google-classroom-usage'), sink);
    expect(s.rejected).toBe(0);
  }
  const raw = await collector.waitFor<RawMessage>(
    env.topics.raw,
    (m) => GC.some((f) => fromFile(path.basename(f))(m)),
    17 + 49 + 98,
  );
  expect(raw).toHaveLength(164);
  expect(new Set(raw.map((m) => m.value.event.event_id)).size).toBe(99);
  expect(raw.every((m) => m.value.event.type === 'use' && m.value.event.active_seconds === 0)).toBe(true);
});

test('bad rows go to usage.dlq with line and field; the good rows beside them are kept', async () => {
  const lines = readFileSync(SCHOOLOGY, 'utf8').split('\n');
  const header = lines[0]!;
  const good = lines[1]!; // Kyle's sign-in
  const fields = good.split(',');
  const timestampAt = header.split(',').indexOf('last_event_timestamp');
  const badTime = fields.map((f, i) => (i === timestampAt ? 'not a time' : f)).join(',');
  const badAction = good.replace(',CREATE,SESSION,', ',LIKE,SESSION,');
  const file = path.join(dir, 'schoology-bad.csv');
  writeFileSync(file, [header, good, badTime, 'too,few,fields', badAction, lines[2]].join('\n') + '\n');
  const s = await runImport(opts(file, 'schoology-activities'), sink);
  expect(s).toMatchObject({
    lines: 5,
    accepted: 2,
    rejected: 3,
    rejectedByReason: { invalid_field: 1, unparseable_line: 1, unsupported_event: 1 },
  });
  await collector.waitFor<RawMessage>(env.topics.raw, fromFile('schoology-bad.csv'), 2);
  const dlq = await collector.waitFor<DeadLetter>(env.topics.dlq, fromFile('schoology-bad.csv'), 3);
  expect(dlq.map((m) => [m.value.reason.line, m.value.reason.code, m.value.reason.field]).sort()).toEqual([
    [3, 'invalid_field', 'last_event_timestamp'],
    [4, 'unparseable_line', undefined],
    [5, 'unsupported_event', 'action_type'],
  ]);
  expect(dlq.find((m) => m.value.reason.line === 3)!.value.payload).toBe(badTime);

  // A users file that is not one, or is missing, fails the Ed-Fi import before anything is sent.
  const edfi = opts(SYSTEM, 'edfi-system-activities');
  await expect(runImport({ ...edfi, edfiUsers: [SCHOOLOGY] }, sink)).rejects.toThrow(/not an Ed-Fi users file/);
  await expect(runImport({ ...edfi, edfiUsers: [path.join(dir, 'nope.csv')] }, sink)).rejects.toThrow(/ENOENT/);

  // A file of the wrong kind fails before anything is sent, naming the missing columns.
  await expect(runImport(opts(file, 'google-classroom-usage'), sink)).rejects.toThrow(
    /lacks column\(s\) "asOfDate", "lastInteractionTime"/,
  );
});

test('the CLI imports Ed-Fi system activities with the users file mapping LMS ids to roster ids', async () => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (pnpm build)`);
  const out = spawnSync(
    process.execPath,
    [
      cli,
      'import',
      SYSTEM,
      '--district',
      'grand-bend',
      '--source',
      'import',
      '--format',
      'edfi-system-activities',
      '--edfi-users',
      USERS,
      '--reference-time',
      referenceTime.toISOString(),
      '--progress',
      'none',
      '--json',
    ],
    { env: { ...process.env, ...env.env }, encoding: 'utf8', timeout: 60_000 },
  );
  expect(out.stderr).toBe('');
  expect(out.status).toBe(0);
  expect(JSON.parse(out.stdout)).toMatchObject({ lines: 9, accepted: 9, rejected: 0, skipped: 0 });
  const raw = await collector.waitFor<RawMessage>(env.topics.raw, fromFile(path.basename(SYSTEM)), 9);
  // LMS users 100032891, 99588912, 100032890 → Kyle 604874, Juana Roe (no SIS id: her email), Mary 604863.
  expect(new Set(raw.map((m) => m.key))).toEqual(
    new Set(['grand-bend|604874', 'grand-bend|juana.roe@studentgps.org', 'grand-bend|604863']),
  );
});
