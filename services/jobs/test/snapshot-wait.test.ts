/**
 * A scheduled snapshot waits for the pipeline to take what was on its way (pipeline-caught-up.ts,
 * snapshot-wait.ts), on the real broker: stage by stage, up to the end offsets of each topic when its
 * turn came; what is still behind at the timeout is logged and returned, and the snapshot goes on.
 */
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createClickHouse, type ClickHouseClient } from '@edusage/clickhouse';
import { consumerLag, createKafka, createProducer, type Kafka, type Producer } from '@edusage/kafka';
import { createLogger, type Logger } from '@edusage/logging';
import { createTestEnv, waitFor, type TestEnv } from '@edusage/testkit';
import { loadJobsConfig } from '../src/config';
import { JOB } from '../src/job-names';
import { pipelineCaughtUp, type PipelineStage } from '../src/pipeline-caught-up';
import { jobProcessor } from '../src/processor';

jest.setTimeout(60_000);

let env: TestEnv;
let kafka: Kafka;
let producer: Producer;
let ch: ClickHouseClient;

beforeAll(async () => {
  env = await createTestEnv('jobs_snapshot_wait', { partitions: 2 });
  kafka = createKafka(env.config, createLogger('snapshot-wait-test', 'error'));
  producer = await createProducer(kafka);
  ch = createClickHouse(env.config);
  // A broker just started answers offset requests of a new group with "not the coordinator" for a
  // while: the waits below have short timeouts, so start once it answers.
  await waitFor(
    () =>
      consumerLag(kafka, `probe-${Date.now()}`, [env.topics.raw]).then(
        () => true,
        () => false,
      ),
    (ok) => ok,
    { timeoutMs: 60_000, what: "the broker's group coordinator" },
  );
});

afterAll(async () => {
  await producer?.disconnect();
  await ch?.close();
  await env?.cleanup();
});

const send = (topic: string, n: number) =>
  producer.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ partition: i % 2, value: `m${i}` })) });

/** Commits `groupId` at the current end of `topic` (as the stage would once it took everything). */
async function commitToEnd(groupId: string, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({
      groupId,
      topic,
      partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })),
    });
  } finally {
    await admin.disconnect();
  }
}

test('waits stage by stage up to what each topic held when its turn came; reports what is left at the timeout', async () => {
  const suffix = Date.now();
  const stages: PipelineStage[] = [
    { topic: env.topics.raw, groupId: `enrich-${suffix}` },
    { topic: env.topics.enriched, groupId: `aggregate-${suffix}` },
  ];
  await send(env.topics.raw, 6);
  await send(env.topics.enriched, 4);
  // Neither group has taken anything: both behind, by everything on their topics.
  expect(await pipelineCaughtUp({ kafka, stages, timeoutMs: 200, pollMs: 50 })).toEqual({
    [env.topics.raw]: 6,
    [env.topics.enriched]: 4,
  });
  await commitToEnd(stages[0]!.groupId, env.topics.raw);
  expect(await pipelineCaughtUp({ kafka, stages, timeoutMs: 200, pollMs: 50 })).toEqual({
    [env.topics.raw]: 0,
    [env.topics.enriched]: 4,
  });
  // A wait under way ends once the aggregate's group has taken what was there, though more came since.
  const progress: string[] = [];
  const waiting = pipelineCaughtUp({
    kafka,
    stages,
    timeoutMs: 30_000,
    pollMs: 100,
    onProgress: (l) => progress.push(l),
  });
  await new Promise((r) => setTimeout(r, 1_000));
  await commitToEnd(stages[1]!.groupId, env.topics.enriched);
  await send(env.topics.enriched, 2); // after the commit: not waited for
  await send(env.topics.raw, 2);
  expect(await waiting).toEqual({ [env.topics.raw]: 0, [env.topics.enriched]: 0 });
  expect(progress.some((l) => l.includes(`aggregate-${suffix}`) && l.includes('4 message(s)'))).toBe(true);
});

test('a scheduled snapshot behind at the end of its wait logs by how much and is written all the same', async () => {
  await send(env.topics.raw, 3);
  const warnings: { fields: Record<string, unknown>; msg: string }[] = [];
  const quiet = createLogger('snapshot-wait-test', 'silent');
  // The snapshot's own warnings are kept; Kafka's client logs through a quiet child.
  const logger = {
    info: () => undefined,
    debug: () => undefined,
    error: () => undefined,
    warn: (fields: Record<string, unknown>, msg: string) => warnings.push({ fields, msg }),
    child: () => quiet,
  } as unknown as Logger;
  const suffix = Date.now();
  const config = loadJobsConfig({
    ...env.env,
    JOBS_SNAPSHOT_WAIT_MS: '500',
    ENRICH_GROUP_ID: `enrich-never-${suffix}`,
    AGGREGATE_GROUP_ID: `aggregate-never-${suffix}`,
  });
  const run = jobProcessor({ config, ch, logger, queue: {} as Queue, redis: {} as Redis });
  const result = (await run(
    {
      id: 'snap-behind',
      name: JOB.snapshot,
      data: { zone: 'America/Chicago' },
      opts: { prevMillis: Date.parse('2026-12-08T08:00:00Z') },
      timestamp: Date.parse('2026-12-07T08:00:00Z'),
    } as unknown as Job,
    undefined,
    undefined,
  )) as { day: string; rows: number; pipelineBehind?: Record<string, number> };
  expect(result.day).toBe('2026-12-07');
  // Everything on the raw topic so far (nothing committed by that group), and the enriched topic's too.
  expect(result.pipelineBehind?.[env.topics.raw]).toBeGreaterThanOrEqual(3);
  expect(result.pipelineBehind?.[env.topics.enriched]).toBeGreaterThan(0);
  expect(warnings.some((w) => w.msg.includes('had not caught up'))).toBe(true);
});
