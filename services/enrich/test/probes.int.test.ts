import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { ConfigResourceTypes } from 'kafkajs';
import type { RawMessage } from '@edusage/contracts';
import { createKafka, createProducer, produceJson, type Kafka } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { createTestEnv, freePort, waitFor, type TestEnv } from '@edusage/testkit';

// Issue 11 finding 11: enrich had no /healthz or /readyz, and a consumer crash that kafkajs does not
// restart left the process running with a dead consumer. Runs the built service (dist/).

const ENTRY = path.resolve(__dirname, '..', 'dist', 'main.js');

let env: TestEnv;
let kafka: Kafka;
let child: ChildProcess;
let log = '';
let base: string;

const get = async (p: string) => {
  const res = await fetch(`${base}${p}`);
  return { status: res.status, text: await res.text() };
};

function rawEvent(id: string): RawMessage {
  return {
    v: 1,
    received_at: new Date().toISOString(),
    channel: 'http',
    event: {
      event_id: id,
      occurred_at: new Date(Date.now() - 60_000).toISOString(),
      district_id: 'd1',
      source: 'agent',
      type: 'page_view',
      user: { sourced_id: 'probe-student' },
      app: { domain: 'khanacademy.org' },
    },
  };
}

async function produce(ids: string[]): Promise<void> {
  const producer = await createProducer(kafka);
  try {
    await produceJson(
      producer,
      env.topics.raw,
      ids.map((id) => ({ key: 'd1|probe-student', value: rawEvent(id) })),
    );
  } finally {
    await producer.disconnect();
  }
}

beforeAll(async () => {
  env = await createTestEnv('enrich_probes', { partitions: 2 });
  kafka = createKafka(env.config, createLogger('enrich-probes-test', 'warn'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, [ENTRY], {
    env: {
      ...process.env,
      ...env.env,
      LOG_LEVEL: 'info',
      PSEUDONYM_KEY: 'probes-test-key-0123456789abcdef',
      ENRICH_GROUP_ID: `enrich-${env.config.CLICKHOUSE_DATABASE}`,
      ENRICH_HTTP_PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d: Buffer) => (log = (log + d.toString()).slice(-50_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
}, 60_000);

afterAll(async () => {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
  await env?.cleanup();
});

test('/healthz, /readyz (once the consumer is in its group) and /metrics with consumer progress', async () => {
  await waitFor(
    () => get('/readyz').catch(() => ({ status: 0, text: '' })),
    (r) => r.status === 200,
    { timeoutMs: 60_000, what: 'enrich /readyz 200' },
  );
  expect((await get('/healthz')).status).toBe(200);
  const ready = JSON.parse((await get('/readyz')).text) as { status: string; checks: Record<string, { ok: boolean }> };
  expect(ready.status).toBe('ready');
  // The consumer's check and the rosters' (every district's roster and catalog readable).
  expect(Object.values(ready.checks).map((c) => c.ok)).toEqual([true, true]);
  expect(ready.checks['rosters']?.ok).toBe(true);

  await produce(['p-1', 'p-2', 'p-3']);
  const metrics = await waitFor(
    async () => (await get('/metrics')).text,
    // The consumer's counters and lag move at the end of the batch, after the enriched counter: all at once.
    (text) =>
      /enrich_events_total\{outcome="enriched"\} 3\b/.test(text) &&
      /edusage_consumer_messages_total\{group="[^"]+",topic="[^"]+usage\.raw"\} 3\b/.test(text) &&
      /edusage_consumer_lag\{[^}]*\} 0\b/.test(text),
    { timeoutMs: 60_000, what: 'three enriched events, their batch ended, in /metrics' },
  );
  expect(metrics).toMatch(/edusage_consumer_messages_total\{group="[^"]+",topic="[^"]+usage\.raw"\} 3\b/);
  expect(metrics).toMatch(/edusage_consumer_lag\{[^}]*\} 0\b/);
  expect(metrics).toMatch(/edusage_consumer_ready\{[^}]*\} 1\b/);
}, 120_000);

test('a consumer crash kafkajs does not restart from exits the process non-zero', async () => {
  // The service read usage.enriched's limit (1 MB) at start; lowering it under a single record
  // makes the next produce fail with MESSAGE_TOO_LARGE, a non-retriable error: kafkajs crashes
  // the consumer with restart=false.
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: env.topics.enriched,
          configEntries: [{ name: 'max.message.bytes', value: '100' }],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
  // 'close', not 'exit': its last log lines may still be in the pipes when the process exits.
  const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  // The broker applies a topic's new config a moment after the answer (longer on a busy machine): an
  // event enriched before then is stored and crashes nothing, so one more is sent every 2 s until it exits.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'still running'>((resolve) => {
    timer = setTimeout(() => resolve('still running'), 60_000);
  });
  let sent = 0;
  const sending = setInterval(() => void produce([`p-crash-${++sent}`]).catch(() => undefined), 2_000);
  await produce(['p-crash']);
  const outcome = await Promise.race([exited, timeout]).finally(() => {
    clearTimeout(timer);
    clearInterval(sending);
  });
  if (outcome === 'still running')
    throw new Error(`enrich did not exit after the crash; log tail:\n${log.slice(-3_000)}`);
  expect(outcome[0]).toBe(1);
  expect(log).toMatch(/the consumer crashed and will not restart/);
}, 120_000);
