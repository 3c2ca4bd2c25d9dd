import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { ConfigResourceTypes } from 'kafkajs';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { createKafka, createProducer, readMaxMessageBytes, type Producer } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import type { RawMessage } from '@edusage/contracts';
import { ApiKeyStore } from '../src/apikeys';
import { startIngest, type IngestService } from '../src/app';
import { loadIngestConfig, type IngestConfig } from '../src/config';
import { runImport } from '../src/import';
import { KafkaSink, readSinkLimits } from '../src/sink';
import type { IngestResponse } from '../src/server';
import { TopicCollector, isoMinutesAgo } from './helpers';

// Issue 11 finding 3: one person's events all land in one partition; kafkajs writes one record batch
// per partition per request, so a large request for one person used to exceed the broker's
// max.message.bytes and answer 503 on every retry.

let env: TestEnv;
let config: IngestConfig;
let service: IngestService;
let collector: TopicCollector;
let redis: Redis;
let producer: Producer;
let agentKey: string;
let dir: string;

beforeAll(async () => {
  env = await createTestEnv('ingest_produce_limits');
  // Default body (5 MiB) and item (10,000) limits: the request below is well inside both.
  config = loadIngestConfig({ ...env.env, INGEST_PORT: '0' });
  const logger = createLogger('ingest-produce-limits-test', env.env.LOG_LEVEL);
  redis = new Redis(config.REDIS_URL);
  agentKey = (
    await new ApiKeyStore(redis, config.REDIS_KEY_PREFIX, 0).create({
      districtId: 'd1',
      source: 'agent',
      name: 'one busy agent',
    })
  ).key;
  service = await startIngest(config, logger, { listen: true });
  const kafka = createKafka(config, logger);
  producer = await createProducer(kafka);
  collector = new TopicCollector(kafka, [env.topics.raw]);
  await collector.start();
  dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-produce-limits-'));
});

afterAll(async () => {
  await collector?.stop();
  await service?.stop();
  await producer?.disconnect();
  redis?.disconnect();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await env?.cleanup();
});

/** One person's page view with a ~250-character URL (about 370 bytes of NDJSON). */
function line(id: string): string {
  return JSON.stringify({
    event_id: id,
    occurred_at: isoMinutesAgo(30),
    type: 'page_view',
    user: { sourced_id: 'busy-student' },
    app: { domain: 'khanacademy.org', url: `https://www.khanacademy.org/math/${'x'.repeat(200)}?q=${id}` },
  });
}

test('6,000 events of one person in one 2.2 MB NDJSON request are accepted (not 503)', async () => {
  const ids = Array.from({ length: 6_000 }, (_, i) => `busy-${i}`);
  const body = ids.map(line).join('\n');
  const limit = await readMaxMessageBytes(createKafka(config, createLogger('t', 'silent')), [env.topics.raw]);
  // The premise of the test: the one partition's share is over the broker's limit, the body is not.
  expect(Buffer.byteLength(body)).toBeGreaterThan(2 * limit);
  expect(Buffer.byteLength(body)).toBeLessThan(config.INGEST_MAX_BODY_BYTES);

  const res = await fetch(`${service.url}/v1/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-ndjson',
      authorization: `Bearer ${agentKey}`,
      'x-request-id': 'req-busy',
    },
    body,
  });
  const answer = (await res.json()) as IngestResponse;
  expect({ status: res.status, accepted: answer.accepted, rejected: answer.rejected?.length }).toEqual({
    status: 202,
    accepted: 6_000,
    rejected: 0,
  });
  const raw = await collector.waitFor<RawMessage>(env.topics.raw, (m) => m.origin === 'req-busy', 6_000);
  expect(raw).toHaveLength(6_000);
  expect(new Set(raw.map((m) => m.partition)).size).toBe(1);
  expect(raw.map((m) => m.value.event.event_id)).toEqual(ids); // per-person order holds across produce calls
});

test('file import: 4,000 lines of one person in one import batch reach usage.raw', async () => {
  const file = path.join(dir, 'one-person.ndjson');
  const ids = Array.from({ length: 4_000 }, (_, i) => `file-${i}`);
  writeFileSync(file, ids.map(line).join('\n') + '\n');
  const sink = new KafkaSink(producer, env.topics, {
    limits: await readSinkLimits(createKafka(config, createLogger('t', 'silent')), env.topics),
  });
  const summary = await runImport(
    { file, format: 'ndjson', districtId: 'd1', source: 'import', progress: 'none', batchSize: 4_000 },
    sink,
  );
  expect({ accepted: summary.accepted, rejected: summary.rejected }).toEqual({ accepted: 4_000, rejected: 0 });
  const raw = await collector.waitFor<RawMessage>(
    env.topics.raw,
    (m) => (m.origin ?? '').startsWith('one-person.ndjson:'),
    4_000,
  );
  expect(raw.map((m) => m.value.event.event_id)).toEqual(ids);
});

test('one event over the topic limit: 413 naming the event and what to do, never 503', async () => {
  const logger = createLogger('ingest-produce-limits-test', env.env.LOG_LEVEL);
  const kafka = createKafka(config, logger);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: env.topics.raw,
          configEntries: [{ name: 'max.message.bytes', value: '3000' }],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
  // A second instance started after the change reads the new limit at start.
  const small = await startIngest(config, logger, { listen: true });
  try {
    const huge = JSON.stringify({
      event_id: 'huge-1',
      occurred_at: isoMinutesAgo(5),
      type: 'page_view',
      user: { sourced_id: 'busy-student' },
      app: { domain: 'khanacademy.org', url: `https://www.khanacademy.org/${'y'.repeat(4_000)}` },
    });
    const res = await fetch(`${small.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${agentKey}` },
      body: huge,
    });
    const answer = (await res.json()) as { error: string; message: string };
    expect(res.status).toBe(413);
    expect(answer.error).toBe('message_too_large');
    expect(answer.message).toContain('"huge-1"');
    expect(res.headers.get('retry-after')).toBeNull();
  } finally {
    await small.stop();
  }
});

test('file import: a line whose event is over the topic limit is rejected by line; the lines beside it go through', async () => {
  // usage.raw is at 3000 bytes since the previous test; usage.dlq keeps the broker default.
  const file = path.join(dir, 'one-huge-line.ndjson');
  const huge = JSON.stringify({
    event_id: 'huge-line',
    occurred_at: isoMinutesAgo(5),
    type: 'page_view',
    user: { sourced_id: 'busy-student' },
    app: { domain: 'khanacademy.org', url: `https://www.khanacademy.org/${'z'.repeat(4_000)}` },
  });
  writeFileSync(file, [line('small-1'), huge, line('small-3')].join('\n') + '\n');
  const sink = new KafkaSink(producer, env.topics, {
    limits: await readSinkLimits(createKafka(config, createLogger('t', 'silent')), env.topics),
  });
  const summary = await runImport(
    { file, format: 'ndjson', districtId: 'd1', source: 'import', progress: 'none' },
    sink,
  );
  expect({ accepted: summary.accepted, rejected: summary.rejectedByReason }).toEqual({
    accepted: 2,
    rejected: { payload_too_large: 1 },
  });
  const raw = await collector.waitFor<RawMessage>(
    env.topics.raw,
    (m) => (m.origin ?? '').startsWith('one-huge-line.ndjson:'),
    2,
  );
  expect(raw.map((m) => m.value.event.event_id)).toEqual(['small-1', 'small-3']);
});

test('file import through the CLI: the line over the topic limit is a dead letter, the import goes on (exit 0)', async () => {
  const cli = path.join(__dirname, '..', 'dist', 'cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (pnpm build)`);
  const file = path.join(dir, 'cli-huge-line.ndjson');
  const huge = JSON.stringify({
    event_id: 'cli-huge-line',
    occurred_at: isoMinutesAgo(5),
    type: 'page_view',
    user: { sourced_id: 'busy-student' },
    app: { domain: 'khanacademy.org', url: `https://www.khanacademy.org/${'z'.repeat(4_000)}` },
  });
  writeFileSync(file, [line('cli-small-1'), huge, line('cli-small-3')].join('\n') + '\n');
  const out = spawnSync(
    process.execPath,
    [
      cli,
      'import',
      file,
      '--format',
      'ndjson',
      '--district',
      'd1',
      '--source',
      'import',
      '--progress',
      'none',
      '--json',
    ],
    { env: { ...process.env, ...env.env }, encoding: 'utf8', timeout: 60_000 },
  );
  expect({ status: out.status, stderr: out.stderr }).toEqual({ status: 0, stderr: '' });
  expect(JSON.parse(out.stdout)).toMatchObject({
    accepted: 2,
    rejected: 1,
    rejectedByReason: { payload_too_large: 1 },
  });
  const raw = await collector.waitFor<RawMessage>(
    env.topics.raw,
    (m) => (m.origin ?? '').startsWith('cli-huge-line.ndjson:'),
    2,
  );
  expect(raw.map((m) => m.value.event.event_id)).toEqual(['cli-small-1', 'cli-small-3']);
});
