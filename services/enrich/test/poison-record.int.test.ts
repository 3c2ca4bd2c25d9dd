import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { deadLetterSchema, type DeadLetter } from '@edusage/contracts';
import { createConsumer, createKafka, createProducer, type Consumer, type Kafka } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { createTestEnv, waitFor, type TestEnv } from '@edusage/testkit';

// Review finding: one record on usage.raw, under the topic's 1 MB limit, that is not a valid event and
// names a ~900 KB `event.source`: its dead letter (the source as key and in the value, ~1.8 MB) was
// refused by the broker (MESSAGE_TOO_LARGE, permanent), the consumer crashed and enrich exited 1, on
// every restart, and in a group the partition moved on to crash the next instance. Runs the real
// service (dist/).

const ENTRY = path.resolve(__dirname, '..', 'dist', 'main.js');
const KEY = 'poison-record-test-key-012345678';

let env: TestEnv;
let kafka: Kafka;
let reader: Consumer;
let child: ChildProcess | null = null;
let childLog = '';
const dead: DeadLetter[] = [];

beforeAll(async () => {
  env = await createTestEnv('enrich_poison', { partitions: 1 });
  kafka = createKafka(env.config, createLogger('enrich-poison-test', 'warn'));
  reader = await createConsumer(kafka, `reader-${env.config.CLICKHOUSE_DATABASE}`);
  await reader.subscribe({ topics: [env.topics.dlq], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      dead.push(deadLetterSchema.parse(JSON.parse(message.value!.toString('utf8'))));
    },
  });
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }
  await reader?.disconnect();
  await env?.cleanup();
});

async function committedOffset(group: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [topic] = await admin.fetchOffsets({ groupId: group, topics: [env.topics.raw] });
    return topic?.partitions[0]?.offset ?? '-1';
  } finally {
    await admin.disconnect();
  }
}

test('an invalid ~900 KB record naming a huge source is dead-lettered; enrich keeps running', async () => {
  const poison = JSON.stringify({ v: 1, event: { source: 'x'.repeat(900_000), district_id: 'd1' } });
  const producer = await createProducer(kafka);
  try {
    await producer.send({
      topic: env.topics.raw,
      acks: -1,
      messages: [
        { key: 'k', value: poison },
        { key: 'k', value: '{"v":1}' },
      ],
    });
  } finally {
    await producer.disconnect();
  }
  const group = `enrich-${env.config.CLICKHOUSE_DATABASE}`;
  child = spawn(process.execPath, [ENTRY], {
    env: {
      ...process.env,
      ...env.env,
      LOG_LEVEL: 'warn',
      PSEUDONYM_KEY: KEY,
      ENRICH_GROUP_ID: group,
      ENRICH_HTTP_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = child;
  proc.stdout!.on('data', (d: Buffer) => (childLog = (childLog + d.toString()).slice(-20_000)));
  proc.stderr!.on('data', (d: Buffer) => (childLog = (childLog + d.toString()).slice(-20_000)));

  const state = await waitFor(
    async () => ({ letters: dead.length, exitCode: proc.exitCode }),
    (s) => s.letters >= 2 || s.exitCode !== null,
    { timeoutMs: 90_000, what: 'two dead letters (or enrich exiting)' },
  );
  if (state.exitCode !== null) {
    throw new Error(`enrich exited with code ${state.exitCode}; log tail:\n${childLog.slice(-2_000)}`);
  }
  expect(dead).toHaveLength(2);
  expect(dead[0]).toMatchObject({ stage: 'enrich', source: 'unknown', district_id: 'd1', payload_truncated: true });
  expect(dead[0]!.origin).toMatch(/usage\.raw\/0\/0$/);
  expect(dead[1]).toMatchObject({ stage: 'enrich', source: 'unknown', district_id: null, payload: '{"v":1}' });
  await waitFor(
    () => committedOffset(group),
    (o) => o === '2',
    { timeoutMs: 30_000, what: 'both raw records committed' },
  );
  expect(proc.exitCode).toBeNull();
}, 180_000);
