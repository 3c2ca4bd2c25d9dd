import { Redis } from 'ioredis';
import { createTestEnv, waitFor, type TestEnv } from '@edusage/testkit';
import { RunLockHeldError, withRunLock } from '../src/run-lock';

// Real Redis: the lock keeps two runs of a job apart for as long as the first works, and no longer.
let env: TestEnv;
let redis: Redis;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  env = await createTestEnv('jobs_run_lock', { kafka: false });
  redis = new Redis(env.config.REDIS_URL);
});
afterAll(async () => {
  redis?.disconnect();
  await env?.cleanup();
});

test('a run longer than the lock’s expiry keeps it; a second run meanwhile is refused; it is free after', async () => {
  const key = `${env.config.REDIS_KEY_PREFIX}jobs:lock:test`;
  const first = withRunLock(redis, key, 'first', 300, () => sleep(1_200).then(() => 'done'));
  await sleep(800); // well past 300 ms: held only because the first run renews it
  await expect(withRunLock(redis, key, 'second', 300, async () => 'ran')).rejects.toThrow(RunLockHeldError);
  await expect(first).resolves.toBe('done');
  await expect(withRunLock(redis, key, 'third', 300, async () => 'ran')).resolves.toBe('ran');
});

test('the lock of a run whose process died expires after its time', async () => {
  const key = `${env.config.REDIS_KEY_PREFIX}jobs:lock:dead`;
  // A run on a connection of its own, which then goes away as its process would (its work never ends).
  const dying = new Redis(env.config.REDIS_URL);
  void withRunLock(dying, key, 'a dead process', 300, () => new Promise<never>(() => undefined)).catch(() => undefined);
  await sleep(500); // renewed past its 300 ms while its connection lives
  await expect(withRunLock(redis, key, 'next', 300, async () => 'ran')).rejects.toThrow(
    `another run holds ${key} (a dead process)`,
  );
  dying.disconnect();
  // Free within its 300 ms of the last renewal; looked for until 2 s (a busy machine's timers run late),
  // still far below what a lock that is not renewed would hold without the expiry (the run's own time).
  await expect(
    waitFor(
      () => withRunLock(redis, key, 'next', 300, async () => 'ran'),
      (v) => v === 'ran',
      { what: 'the dead run lock to expire', timeoutMs: 2_000, intervalMs: 100 },
    ),
  ).resolves.toBe('ran');
});
