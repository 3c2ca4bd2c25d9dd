import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { ConfigResourceTypes } from 'kafkajs';
import type { DeadLetter, EnrichedEvent, RawMessage } from '@edusage/contracts';
import { createConsumer, createKafka, createProducer, produceJson, type Consumer, type Kafka } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { createTestEnv, waitFor, type TestEnv } from '@edusage/testkit';
import { documentedEventId } from './documented-ids';

// Issue 11 finding 4: the enrich output budget counted string length (not bytes), was checked every
// 200 messages and ignored keys, so long multi-byte ids made one produce call exceed the broker's
// max.message.bytes and the partition stalled on retries forever. Runs the real service (dist/).

const ENTRY = path.resolve(__dirname, '..', 'dist', 'main.js');
// '中' is one UTF-16 unit and three UTF-8 bytes: ids at the 256-character limit are 768 bytes.
const WIDE = '中';
const KEY = 'output-bytes-test-key-0123456789';
/** The event_id enrich writes for a sent id (a keyed digest, see documented-ids.ts). */
const stored = (eventId: string, district = 'd1') => documentedEventId(KEY, district, 'agent', eventId);

let env: TestEnv;
let kafka: Kafka;
let reader: Consumer;
let child: ChildProcess | null = null;
let childLog = '';
const enriched = new Map<string, EnrichedEvent>();
const dead: DeadLetter[] = [];

function startEnrich(): ChildProcess {
  const proc = spawn(process.execPath, [ENTRY], {
    env: {
      ...process.env,
      ...env.env,
      LOG_LEVEL: 'warn',
      PSEUDONYM_KEY: KEY,
      ENRICH_GROUP_ID: `enrich-${env.config.CLICKHOUSE_DATABASE}`,
      ENRICH_HTTP_PORT: '0', // probes on any free port: suites run side by side
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d: Buffer) => (childLog = (childLog + d.toString()).slice(-20_000)));
  proc.stderr!.on('data', (d: Buffer) => (childLog = (childLog + d.toString()).slice(-20_000)));
  return proc;
}

async function stopEnrich(): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
  child = null;
}

function rawEvent(eventId: string, extra: Partial<RawMessage['event']> = {}): RawMessage {
  return {
    v: 1,
    received_at: new Date().toISOString(),
    channel: 'http',
    event: {
      event_id: eventId,
      occurred_at: new Date(Date.now() - 60_000).toISOString(),
      district_id: 'd1',
      source: 'agent',
      type: 'page_view',
      user: { sourced_id: 'one-student' },
      app: { app_id: WIDE.repeat(256) },
      ...extra,
    },
  };
}

beforeAll(async () => {
  env = await createTestEnv('enrich_output_bytes', { partitions: 1 });
  kafka = createKafka(env.config, createLogger('enrich-output-bytes-test', 'warn'));
  reader = await createConsumer(kafka, `reader-${env.config.CLICKHOUSE_DATABASE}`);
  await reader.subscribe({ topics: [env.topics.enriched, env.topics.dlq], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ topic, message }) => {
      const value = JSON.parse(message.value!.toString('utf8'));
      if (topic === env.topics.enriched) enriched.set((value as EnrichedEvent).event_id, value as EnrichedEvent);
      else dead.push(value as DeadLetter);
    },
  });
}, 60_000);

afterAll(async () => {
  await stopEnrich();
  await reader?.disconnect();
  await env?.cleanup();
});

test('one partition of events with long multi-byte ids flows through (output cut by bytes)', async () => {
  const ids = Array.from({ length: 3_000 }, (_, i) => `${WIDE.repeat(240)}-${i}`);
  const producer = await createProducer(kafka);
  try {
    await produceJson(
      producer,
      env.topics.raw,
      ids.map((id) => ({ key: 'd1|one-student', value: rawEvent(id) })),
    );
  } finally {
    await producer.disconnect();
  }
  child = startEnrich();
  try {
    await waitFor(
      async () => ids.filter((id) => !enriched.has(stored(id))).length,
      (missing) => missing === 0,
      { timeoutMs: 120_000, what: 'every multi-byte event on usage.enriched' },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\nenrich log tail:\n${childLog.slice(-3_000)}`, { cause: err });
  }
  // Nothing went to the dead letters: every event fits alone, only the batches had to be cut.
  expect(dead).toHaveLength(0);
}, 180_000);

test('one event whose output is over the limit is dead-lettered with the reason; the partition moves on', async () => {
  await stopEnrich();
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: env.topics.enriched,
          configEntries: [{ name: 'max.message.bytes', value: '3000' }],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
  // Short ids fit the 3000-byte limit; the middle event's output (768-byte app and district ids, the
  // district twice: in the value and in the key; about 2,950 bytes, over the 2,488-byte budget) does
  // not. Its 768-byte event_id is not in the output: enrich writes a 32-hex keyed digest instead.
  const producer = await createProducer(kafka);
  try {
    await produceJson(producer, env.topics.raw, [
      { key: 'd1|one-student', value: rawEvent('small-before', { app: { app_id: 'khan' } }) },
      { key: 'd1|one-student', value: rawEvent(`huge-${WIDE.repeat(250)}`, { district_id: WIDE.repeat(256) }) },
      { key: 'd1|one-student', value: rawEvent('small-after', { app: { app_id: 'khan' } }) },
    ]);
  } finally {
    await producer.disconnect();
  }
  child = startEnrich(); // reads the new limit at start
  try {
    await waitFor(
      async () => enriched.has(stored('small-after')) && dead.length > 0,
      (ok) => ok,
      { timeoutMs: 90_000, what: 'the event after the oversized one, and a dead letter' },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\nenrich log tail:\n${childLog.slice(-3_000)}`, { cause: err });
  }
  expect(enriched.has(stored('small-before'))).toBe(true);
  expect([...enriched.values()].some((e) => e.district_id === WIDE.repeat(256))).toBe(false);
  expect(dead).toHaveLength(1);
  expect(dead[0]).toMatchObject({ stage: 'enrich', source: 'agent', district_id: WIDE.repeat(256) });
  expect(dead[0]!.reason.code).toBe('payload_too_large');
  expect(dead[0]!.reason.message).toMatch(/\d+ bytes.*max\.message\.bytes/);
  // The payload is the raw message, cut so that the dead letter fits the (here tiny) limit.
  expect(dead[0]!.payload).toMatch(/^\{"v":1,.*"event_id":"huge-/);
  expect(dead[0]!.payload_truncated).toBe(true);
  expect(dead[0]!.origin).toMatch(/usage\.raw\/0\/\d+$/);
}, 180_000);
