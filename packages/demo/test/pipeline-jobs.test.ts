/** LocalPipeline starts the jobs service on demand: it boots, reconciles its schedulers and stops on SIGTERM. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createTestEnv, waitFor, type TestEnv } from '@edusage/testkit';
import { LocalPipeline } from '../src/pipeline';

jest.setTimeout(90_000);

let env: TestEnv;
let dir: string;

beforeAll(async () => {
  env = await createTestEnv('demo_pipeline_jobs', { kafka: false });
  dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-pipeline-jobs-'));
});
afterAll(async () => {
  await env?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("start('jobs') runs the jobs service with the pipeline's environment", async () => {
  const pipeline = new LocalPipeline({ ...env.env, DEFAULT_TIMEZONE: 'America/Denver' }, dir);
  const redis = new Redis(env.config.REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('edusage-jobs', { connection: redis, prefix: `${env.config.REDIS_KEY_PREFIX}bull` });
  try {
    pipeline.start('jobs');
    const ids = await waitFor(
      async () => (await queue.getJobSchedulers(0, -1)).map((s) => s.id ?? s.key).sort(),
      (list) => list.length === 6,
      { timeoutMs: 60_000, what: 'jobs schedulers' },
    );
    expect(ids).toEqual([
      'erasure-sweep',
      'license-snapshot@America/Denver',
      'renewal-alerts@America/Denver',
      'research-refresh',
      'retention',
      'rollup-compaction',
    ]);
    expect(await pipeline.stop('jobs')).toBe(0);
  } finally {
    await pipeline.stopAll();
    await queue.close();
    redis.disconnect();
  }
});
