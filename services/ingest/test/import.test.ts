import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Producer } from 'kafkajs';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { createKafka, createProducer } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { adaptSquidLog, type DeadLetter, type RawMessage } from '@edusage/contracts';
import { loadIngestConfig, type IngestConfig } from '../src/config';
import { runImport, type ImportOptions } from '../src/import';
import { KafkaSink } from '../src/sink';
import { TopicCollector, isoMinutesAgo } from './helpers';

const fixtures = path.resolve(__dirname, '../../../../shared/fixtures');
const squidLog = path.join(fixtures, 'netdata-go.d.plugin/squidlog/access.log');
const cli = path.resolve(__dirname, '../dist/cli.js');

let env: TestEnv;
let config: IngestConfig;
let producer: Producer;
let sink: KafkaSink;
let collector: TopicCollector;
let dir: string;

beforeAll(async () => {
  env = await createTestEnv('ingest_import');
  config = loadIngestConfig(env.env);
  const logger = createLogger('ingest-import-test', env.env.LOG_LEVEL);
  const kafka = createKafka(config, logger);
  producer = await createProducer(kafka);
  sink = new KafkaSink(producer, env.topics);
  collector = new TopicCollector(kafka, [env.topics.raw, env.topics.dlq]);
  await collector.start();
  dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-import-'));
});

afterAll(async () => {
  await collector?.stop();
  await producer?.disconnect();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await env?.cleanup();
});

const base = (file: string, format: ImportOptions['format'], source: ImportOptions['source']): ImportOptions => ({
  file,
  format,
  districtId: 'd1',
  source,
  progress: 'none',
  batchSize: 7, // small, so that several batches are in flight
});
const fromFile = (name: string) => (m: { origin?: string }) => (m.origin ?? '').startsWith(`${name}:`);

test('NDJSON file: summary counts match, events and dead letters (with line numbers) are in Kafka', async () => {
  const file = path.join(dir, 'events.ndjson');
  const ev = (id: string, user: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      event_id: id,
      occurred_at: isoMinutesAgo(60),
      type: 'use',
      user: { email: user },
      app: { app_id: 'khan' },
      active_seconds: 60,
      ...extra,
    });
  const lines = [
    ev('n1', 'A@x.org'),
    '{oops',
    '',
    ev('n2', 'b@x.org', { type: 'sleep' }),
    ev('n3', 'a@x.org', { district_id: 'd9' }),
    ...Array.from({ length: 20 }, (_, i) => ev(`bulk-${i}`, `p${i % 3}@x.org`)),
  ];
  writeFileSync(file, lines.join('\n') + '\n');
  const summary = await runImport(base(file, 'ndjson', 'agent'), sink);
  expect(summary).toMatchObject({
    lines: 24,
    accepted: 21,
    rejected: 3,
    rejectedByReason: { malformed_json: 1, invalid_field: 1, district_mismatch: 1 },
  });
  const raw = await collector.waitFor<RawMessage>(env.topics.raw, fromFile('events.ndjson'), 21);
  expect(raw).toHaveLength(21);
  expect(raw.find((m) => m.value.event.event_id === 'n1')).toMatchObject({
    key: 'd1|a@x.org',
    value: { channel: 'file', origin: 'events.ndjson:1' },
  });
  const dlq = await collector.waitFor<DeadLetter>(env.topics.dlq, fromFile('events.ndjson'), 3);
  expect(new Set(dlq.map((m) => m.value.input_format))).toEqual(new Set(['native']));
  expect(dlq.map((m) => [m.value.reason.line, m.value.reason.code]).sort()).toEqual([
    [2, 'malformed_json'],
    [4, 'invalid_field'],
    [5, 'district_mismatch'],
  ]);
  expect(dlq.find((m) => m.value.reason.line === 2)!.value).toMatchObject({
    stage: 'import',
    payload: '{oops',
    source: 'agent',
  });
  expect(dlq.find((m) => m.value.reason.line === 4)!.value.reason.field).toBe('type');
});

test('CSV file (documented header): quoted fields, a broken record and a bad number are rejected by line', async () => {
  const file = path.join(dir, 'usage.csv');
  const t = isoMinutesAgo(90);
  const rows = [
    'event_id,occurred_at,type,user_sourced_id,user_email,user_username,user_device_id,app_id,app_domain,app_url,active_seconds,class_id,school_id,client_ip',
    `c1,${t},use,s1,,,,,khanacademy.org,"https://khanacademy.org/a,b",300,cls1,sch1,10.1.2.3`,
    `c2,${t},page_view,,"quote""d@x.org",,,,docs.google.com,,,,,`,
    `c3,${t},use,s2,,,,,khanacademy.org,,lots,,,`,
    `c4,${t},use,s3`, // too few columns
    `,${t},heartbeat,s4,,,,app-7,,,,,,`, // no event_id: deterministic one
  ];
  writeFileSync(file, rows.join('\r\n') + '\r\n');
  const summary = await runImport(base(file, 'csv', 'import'), sink);
  expect(summary).toMatchObject({
    lines: 5,
    accepted: 3,
    rejected: 2,
    rejectedByReason: { invalid_field: 1, unparseable_line: 1 },
  });
  const raw = await collector.waitFor<RawMessage>(env.topics.raw, fromFile('usage.csv'), 3);
  const c1 = raw.find((m) => m.value.event.event_id === 'c1')!.value.event;
  expect(c1).toMatchObject({
    source: 'import',
    active_seconds: 300,
    class_id: 'cls1',
    app: { url: 'https://khanacademy.org/a,b' },
  });
  expect(raw.find((m) => m.value.event.event_id === 'c2')!.value.event.user.email).toBe('quote"d@x.org');
  expect(raw.find((m) => m.value.origin === 'usage.csv:6')!.value.event.event_id).toMatch(/^csv:/);
  const dlq = await collector.waitFor<DeadLetter>(env.topics.dlq, fromFile('usage.csv'), 2);
  expect(dlq.map((m) => [m.value.reason.line, m.value.reason.code, m.value.reason.field]).sort()).toEqual([
    [4, 'invalid_field', 'active_seconds'],
    [5, 'unparseable_line', undefined],
  ]);
  expect(dlq.find((m) => m.value.reason.line === 5)!.value.payload).toBe(rows[4]);
});

test('CSV file: the last progress line reports the whole file read (the reader is @edusage/csv, not the input stream)', async () => {
  const file = path.join(dir, 'progress.csv');
  const t = isoMinutesAgo(30);
  const rows = ['event_id,occurred_at,type,user_sourced_id,app_id'];
  for (let i = 0; i < 50; i++) rows.push(`p${i},${t},use,s${i % 5},app-${i % 3}`);
  writeFileSync(file, rows.join('\n') + '\n');
  let printed = '';
  const progressStream = new Writable({
    write(chunk: Buffer, _enc, done) {
      printed += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  const summary = await runImport({ ...base(file, 'csv', 'import'), progress: 'lines', progressStream }, sink);
  expect(summary).toMatchObject({ lines: 50, accepted: 50 });
  const last = printed.trim().split('\n').at(-1)!;
  expect(last).toContain('(100%)');
});

test('Squid log: pages and first activity of a minute become events keyed by user; failed/denied lines and same-minute assets are skipped; re-import gives the same ids', async () => {
  const file = path.join(dir, 'proxy-access.log');
  const t = (minAgo: number) => ((Date.now() - minAgo * 60_000) / 1000).toFixed(3);
  const lines = [
    `${t(30)}    120 10.1.2.3 TCP_MISS/200 5120 GET https://www.khanacademy.org/math?x=1 jdoe HIER_DIRECT/1.2.3.4 text/html`,
    `${t(30)}     12 10.1.2.3 TCP_HIT/200 2048 GET https://www.khanacademy.org/css/site.css jdoe HIER_NONE/- text/css`,
    `${t(29)}     80 10.1.2.3 TCP_TUNNEL/200 900 CONNECT docs.google.com:443 jdoe HIER_DIRECT/1.2.3.5 -`,
    `${t(29)}      3 10.1.2.3 TCP_MISS/503 0 CONNECT www.google-analytics.com:443 jdoe HIER_NONE/- -`,
    `${t(28)}     10 10.1.2.4 TCP_DENIED/403 0 GET http://blocked.example.com/ asmith HIER_NONE/- text/html`,
    '# a comment line',
    `${t(27)}     99 10.1.2.4 TCP_MISS/200 777 GET https://quizlet.com/set/1 asmith HIER_DIRECT/1.2.3.6 text/html`,
    'this is not a log line',
    `${t(26)}     99 10.1.2.9 TCP_MISS/200 777 GET https://quizlet.com/set/2 - HIER_DIRECT/1.2.3.6 text/html`,
    `${t(25)}     40 10.1.2.4 TCP_MISS/200 18000 GET http://66.181.163.170/pics/12.jpg asmith HIER_DIRECT/66.181.163.170 image/jpeg`,
  ];
  writeFileSync(file, lines.join('\n') + '\n');
  const summary = await runImport(base(file, 'squid', 'proxy'), sink);
  expect(summary).toMatchObject({
    lines: 9,
    accepted: 4,
    rejected: 2,
    skipped: 3,
    rejectedByReason: { unparseable_line: 1, missing_identifier: 1 },
    skippedByReason: { proxy_folded: 1, proxy_failed: 1, proxy_denied: 1 },
  });
  const raw = await collector.waitFor<RawMessage>(env.topics.raw, fromFile('proxy-access.log'), 4);
  const shape = (m: { key: string | null; value: RawMessage }) => {
    const { type, app } = m.value.event;
    return [m.key, type, app.app_id ?? app.domain];
  };
  expect(raw.map(shape).sort()).toEqual([
    ['d1|asmith', 'heartbeat', 'ip:66.181.163.170'],
    ['d1|asmith', 'page_view', 'quizlet.com'],
    ['d1|jdoe', 'heartbeat', 'docs.google.com'],
    ['d1|jdoe', 'page_view', 'www.khanacademy.org'],
  ]);
  const dlq = await collector.waitFor<DeadLetter>(env.topics.dlq, fromFile('proxy-access.log'), 2);
  expect(new Set(dlq.map((m) => m.value.input_format))).toEqual(new Set(['squid']));
  expect(dlq.map((m) => [m.value.reason.line, m.value.reason.code]).sort()).toEqual([
    [8, 'unparseable_line'],
    [9, 'missing_identifier'],
  ]);
  expect(dlq.find((m) => m.value.reason.line === 8)!.value.payload).toBe('this is not a log line');

  const again = await runImport(base(file, 'squid', 'proxy'), sink);
  expect(again).toMatchObject({ accepted: 4, skippedByReason: summary.skippedByReason });
  const both = await collector.waitFor<RawMessage>(env.topics.raw, fromFile('proxy-access.log'), 8);
  expect(new Set(both.map((m) => m.value.event.event_id)).size).toBe(4);
});

test('Squid access log fixture (netdata, 2019): counts agree with the adapter and every rejected line is in the DLQ', async () => {
  const referenceTime = new Date('2019-12-15T00:00:00Z'); // the log is from December 2019
  const opts = { ...base(squidLog, 'squid', 'proxy'), referenceTime, ipAsDevice: true, batchSize: 100 };
  const summary = await runImport(opts, sink);
  const text = readFileSync(squidLog, 'utf8');
  const oracle = adaptSquidLog(text, { districtId: 'd1', source: 'proxy', now: referenceTime, ipAsDevice: true });
  expect(summary.accepted).toBe(oracle.events.length);
  expect(summary.rejected).toBe(oracle.rejects.length);
  expect(summary.skipped).toBe(oracle.skipped.length);
  expect(summary.lines).toBe(summary.accepted + summary.rejected + summary.skipped);
  expect(summary.lines).toBe(text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).length);
  // The fuzzed fixture has a few lines that are not log lines, and mostly cache-manager requests (skipped).
  expect(summary.rejectedByReason['unparseable_line']).toBeGreaterThan(0);
  expect(summary.skippedByReason['proxy_internal']).toBeGreaterThan(0);
  const dlq = await collector.waitFor<DeadLetter>(env.topics.dlq, fromFile('access.log'), summary.rejected);
  expect(dlq).toHaveLength(summary.rejected);
  expect(dlq.find((m) => m.value.reason.line === 1)!.value.payload).toBe(text.split('\n')[0]);
});

test('caliper-ndjson and xapi-ndjson files (fixture shapes, times moved to now)', async () => {
  const envelope = JSON.parse(
    readFileSync(path.join(fixtures, 'caliper-common-fixtures/v1p2/caliperEnvelopeEventBatch.json'), 'utf8'),
  );
  envelope.data.forEach((e: Record<string, unknown>, i: number) => (e.eventTime = isoMinutesAgo(40 - i)));
  // The middle event is an AnnotationEvent Bookmarked (use); give it an action Caliper does not define.
  envelope.data[1].action = 'Graded';
  const caliperFile = path.join(dir, 'caliper.ndjson');
  writeFileSync(caliperFile, [JSON.stringify(envelope), JSON.stringify(envelope.data[2]), 'nope'].join('\n'));
  const c = await runImport(base(caliperFile, 'caliper-ndjson', 'caliper'), sink);
  // envelope: 2 supported events + 1 unsupported; then one bare event (same id: a duplicate, removed downstream); then junk
  expect(c).toMatchObject({
    lines: 3,
    accepted: 3,
    rejected: 2,
    rejectedByReason: { unsupported_event: 1, malformed_json: 1 },
  });
  await collector.waitFor<RawMessage>(env.topics.raw, fromFile('caliper.ndjson'), 3);

  const statements = JSON.parse(
    readFileSync(
      path.join(fixtures, 'moodle-logstore_xapi/mod_page/course_module_viewed/existing_module/statements.json'),
      'utf8',
    ),
  );
  const st = (i: number) => ({
    ...statements[0],
    id: `6f1c9d0e-3c0a-4b8e-9d57-${String(i).padStart(12, '0')}`,
    timestamp: isoMinutesAgo(20),
  });
  const xapiFile = path.join(dir, 'statements.ndjson');
  const lines = Array.from({ length: 1200 }, (_, i) => JSON.stringify(i === 700 ? { ...st(i), actor: {} } : st(i)));
  writeFileSync(xapiFile, lines.join('\n'));
  const x = await runImport({ ...base(xapiFile, 'xapi-ndjson', 'xapi'), batchSize: 500 }, sink);
  expect(x).toMatchObject({ lines: 1200, accepted: 1199, rejected: 1 });
  const dlq = await collector.waitFor<DeadLetter>(env.topics.dlq, fromFile('statements.ndjson'), 1);
  expect(dlq[0]!.value.reason.line).toBe(701);
  const raw = await collector.waitFor<RawMessage>(env.topics.raw, fromFile('statements.ndjson'), 1199);
  expect(raw.find((m) => m.value.origin === 'statements.ndjson:702')!.value.event.event_id).toContain('000000000701');
});

test('line files saved "UTF-8 with BOM" (PowerShell 5.1 Out-File) keep their first line', async () => {
  const ev = (id: string) =>
    JSON.stringify({
      event_id: id,
      occurred_at: isoMinutesAgo(30),
      type: 'use',
      user: { sourced_id: 's1' },
      app: { app_id: 'khan' },
    });
  const file = path.join(dir, 'bom.ndjson');
  writeFileSync(file, '\uFEFF' + [ev('bom-1'), ev('bom-2')].join('\r\n') + '\r\n');
  expect(await runImport(base(file, 'ndjson', 'agent'), sink)).toMatchObject({ lines: 2, accepted: 2, rejected: 0 });
  const raw = await collector.waitFor<RawMessage>(env.topics.raw, fromFile('bom.ndjson'), 2);
  expect(raw.find((m) => m.value.origin === 'bom.ndjson:1')!.value.event.event_id).toBe('bom-1');

  const statement = JSON.parse(
    readFileSync(
      path.join(fixtures, 'moodle-logstore_xapi/mod_page/course_module_viewed/existing_module/statements.json'),
      'utf8',
    ),
  )[0];
  const xapiFile = path.join(dir, 'bom-statements.ndjson');
  const st = (i: number) =>
    JSON.stringify({
      ...statement,
      id: `0b0b0b0b-3c0a-4b8e-9d57-${String(i).padStart(12, '0')}`,
      timestamp: isoMinutesAgo(20),
    });
  writeFileSync(xapiFile, '\uFEFF' + [st(1), st(2)].join('\n'));
  const x = await runImport(base(xapiFile, 'xapi-ndjson', 'xapi'), sink);
  expect(x).toMatchObject({ lines: 2, accepted: 2, rejected: 0 });

  // A statement with a key given twice is refused, naming the key, as the HTTP route refuses it.
  const dupFile = path.join(dir, 'duplicate-key-statements.ndjson');
  writeFileSync(dupFile, [st(3), st(4).replace(/^\{/, '{"verb":{"id":"http://example.com/other"},')].join('\n'));
  const d = await runImport(base(dupFile, 'xapi-ndjson', 'xapi'), sink);
  expect(d).toMatchObject({ lines: 2, accepted: 1, rejected: 1 });
});

test('CSV rows without event_id keep their ids when a rejected line is deleted and the file imported again', async () => {
  const t = isoMinutesAgo(45);
  const header = 'event_id,occurred_at,type,user_sourced_id,app_id,active_seconds';
  const rows = [
    `,${t},use,s1,app-1,60`,
    `,${t},use,s2,app-1,lots`, // line 3: rejected
    `,${t},use,s3,app-1,60`,
    `,${t},use,s4,app-2,60`,
    `,${t},use,s4,app-2,60`, // the same row twice: two events
    `,${t},use,s5,app-2,60`,
  ];
  const first = path.join(dir, 'reimport-before.csv');
  writeFileSync(first, [header, ...rows].join('\n') + '\n');
  expect(await runImport(base(first, 'csv', 'import'), sink)).toMatchObject({ accepted: 5, rejected: 1 });
  // The documented fix: delete the rejected line (here: from a copy) and import the file again.
  const fixed = path.join(dir, 'reimport-after.csv');
  writeFileSync(fixed, [header, ...rows.filter((r) => !r.includes('lots'))].join('\n') + '\n');
  expect(await runImport(base(fixed, 'csv', 'import'), sink)).toMatchObject({ accepted: 5, rejected: 0 });

  const idsOf = async (name: string) => {
    const raw = await collector.waitFor<RawMessage>(env.topics.raw, fromFile(name), 5);
    return raw.map((m) => `${m.value.event.user.sourced_id} ${m.value.event.event_id}`).sort();
  };
  const before = await idsOf('reimport-before.csv');
  expect(new Set(before.map((x) => x.split(' ')[1])).size).toBe(5);
  expect(await idsOf('reimport-after.csv')).toEqual(before);
});

test('caliper-ndjson: each bad event of an envelope or array line is named by its place in the line', async () => {
  const envelope = JSON.parse(
    readFileSync(path.join(fixtures, 'caliper-common-fixtures/v1p2/caliperEnvelopeEventBatch.json'), 'utf8'),
  );
  envelope.data.forEach((e: Record<string, unknown>, i: number) => (e.eventTime = isoMinutesAgo(40 - i)));
  delete envelope.data[2].actor;
  envelope.data[1].action = 'Graded';
  const file = path.join(dir, 'caliper-paths.ndjson');
  writeFileSync(file, [JSON.stringify(envelope), JSON.stringify([envelope.data[0], envelope.data[2]])].join('\n'));
  const c = await runImport(base(file, 'caliper-ndjson', 'caliper'), sink);
  expect(c).toMatchObject({ lines: 2, accepted: 2, rejected: 3 });
  const dlq = await collector.waitFor<DeadLetter>(env.topics.dlq, fromFile('caliper-paths.ndjson'), 3);
  const reasons = dlq.map((m) => [m.value.reason.line, m.value.reason.field, m.value.reason.message]);
  expect(reasons.sort()).toEqual([
    [1, 'data.1.action', expect.stringMatching(/^data\.1\.action: /)], // the rest quotes the input: redacted
    [1, 'data.2.actor', 'data.2.actor: is missing'],
    [2, '1.actor', '1.actor: is missing'],
  ]);
  // Each letter keeps the whole line, from which the field path leads to the event.
  expect(dlq.find((m) => m.value.reason.field === 'data.2.actor')!.value.payload).toBe(JSON.stringify(envelope));
});

test('the CLI (dist): keys create/list/revoke, import with a JSON summary, progress lines, exit codes', () => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (pnpm exec tsc -b services/ingest)`);
  const run = (args: string[]) =>
    spawnSync(process.execPath, [cli, ...args], {
      env: { ...process.env, ...env.env },
      encoding: 'utf8',
      timeout: 60_000,
    });

  const created = run(['keys', 'create', '--district', 'd1', '--source', 'proxy', '--name', 'CLI test']);
  expect(created.status).toBe(0);
  const key = created.stdout.trim();
  expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(created.stderr).toMatch(/shown only this once/);
  const listed = run(['keys', 'list', '--json']);
  expect(listed.status).toBe(0);
  const entries = JSON.parse(listed.stdout) as Array<{ id: string; name: string }>;
  const mine = entries.find((e) => e.name === 'CLI test')!;
  expect(listed.stdout).not.toContain(key);

  // Events per minute: set at creation, changed, back to the default; bad values named.
  const limited = run([
    'keys',
    'create',
    '--district',
    'd1',
    '--source',
    'agent',
    '--name',
    'CLI limited',
    '--events-per-minute',
    '30',
    '--json',
  ]);
  expect(limited.status).toBe(0);
  const limitedEntry = JSON.parse(limited.stdout) as { id: string; events_per_minute?: number };
  expect(limitedEntry.events_per_minute).toBe(30);
  // The key's hash is never printed (it is what a key is checked against).
  const noHash = (text: string) => {
    expect(text).not.toMatch(/[0-9a-f]{64}/);
    expect(text).not.toContain('"hash"');
  };
  noHash(limited.stdout);
  noHash(run(['keys', 'list', '--json']).stdout);
  noHash(run(['keys', 'list']).stdout);
  const raised = run(['keys', 'limit', limitedEntry.id, '600']);
  expect(raised.status).toBe(0);
  expect(raised.stdout).toContain('600/min');
  noHash(raised.stdout);
  const limitOf = (id: string) =>
    (JSON.parse(run(['keys', 'list', '--json']).stdout) as Array<{ id: string; events_per_minute?: number }>).find(
      (e) => e.id === id,
    );
  expect(limitOf(limitedEntry.id)?.events_per_minute).toBe(600);
  expect(run(['keys', 'list']).stdout).toMatch(new RegExp(`${limitedEntry.id} .*600/min`));
  expect(run(['keys', 'limit', limitedEntry.id, 'default']).status).toBe(0);
  expect(limitOf(limitedEntry.id)).toBeDefined();
  expect(limitOf(limitedEntry.id)?.events_per_minute).toBeUndefined();
  const bad = run(['keys', 'limit', limitedEntry.id, '-5']);
  expect(bad.status).not.toBe(0);
  expect(bad.stderr).toMatch(/events-per-minute.*whole number/);
  const nobody = run(['keys', 'limit', 'ffffffff0000', '5']);
  expect(nobody.status).toBe(1);
  expect(nobody.stderr).toContain('no key matches ffffffff0000');
  expect(run(['keys', 'revoke', limitedEntry.id]).status).toBe(0);

  expect(run(['keys', 'revoke', mine.id]).status).toBe(0);
  expect(
    JSON.parse(run(['keys', 'list', '--json']).stdout).find((e: { id: string }) => e.id === mine.id),
  ).toBeUndefined();

  const file = path.join(dir, 'cli.ndjson');
  const ev = (i: number) =>
    JSON.stringify({
      event_id: `cli-${i}`,
      occurred_at: isoMinutesAgo(5),
      type: 'heartbeat',
      user: { device_id: `dev${i % 4}` },
      app: { domain: 'example.org' },
    });
  writeFileSync(file, [...Array.from({ length: 50 }, (_, i) => ev(i)), 'garbage'].join('\n'));
  const imported = run([
    'import',
    '--district',
    'd1',
    '--source',
    'extension',
    '--format',
    'ndjson',
    '--progress',
    'lines',
    '--json',
    file,
  ]);
  expect(imported.status).toBe(0);
  expect(JSON.parse(imported.stdout)).toMatchObject({
    lines: 51,
    accepted: 50,
    rejected: 1,
    rejectedByReason: { malformed_json: 1 },
  });
  expect(imported.stderr).toMatch(/progress cli\.ndjson: .* 51 lines, 50 accepted, 1 rejected/);

  const human = run([
    'import',
    '--district',
    'd1',
    '--source',
    'extension',
    '--format',
    'ndjson',
    '--progress',
    'none',
    file,
  ]);
  expect(human.status).toBe(0);
  expect(human.stdout).toMatch(/lines read: 51\n\s+accepted:\s+50\n\s+rejected:\s+1\n\s+malformed_json: 1/);

  const missing = run([
    'import',
    '--district',
    'd1',
    '--source',
    'proxy',
    '--format',
    'squid',
    path.join(dir, 'nope.log'),
  ]);
  expect(missing.status).not.toBe(0);
  expect(missing.stderr).toMatch(/ENOENT|no such file/);
});
