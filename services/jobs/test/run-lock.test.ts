import { Redis } from 'ioredis';
import { createTestEnv, waitFor, type TestEnv } from '@edusage/testkit';
import { command, createClickHouse, queryRows } from '@edusage/clickhouse';
import { abortableClickHouse } from '../src/abortable-clickhouse';
import { RunLockHeldError, RunLockLostError, withRunLock } from '../src/run-lock';

// Real Redis: the lock keeps two runs of a job apart for as long as the first works, and no longer; a
// run that lost it (stalled past its expiry) stops instead of going on beside another.
let env: TestEnv;
let redis: Redis;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Blocks the event loop, as a stalled process does (no timer, so no renewal, runs meanwhile). */
const stall = (ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
};

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
    `another run holds ${key} (a dead process run `,
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

test('a run stalled past the expiry while its job runs again loses the lock: it fails and is aborted, the re-run keeps it', async () => {
  const key = `${env.config.REDIS_KEY_PREFIX}jobs:lock:stalled`;
  let rerun: Promise<string> | undefined;
  let firstSignal: AbortSignal | undefined;
  const first = withRunLock(redis, key, 'job 42', 300, async (signal) => {
    firstSignal = signal;
    await sleep(50);
    stall(800); // past the 300 ms expiry: the lock lapses
    // BullMQ hands the stalled job to another run: the same job id, so the same holder label.
    rerun = withRunLock(redis, key, 'job 42', 300, (s) =>
      sleep(1_500).then(() => (s.aborted ? 'aborted' : 'rerun done')),
    );
    await sleep(400);
    return 'first done';
  });
  try {
    await expect(first).rejects.toThrow(RunLockLostError);
    expect(firstSignal?.aborted).toBe(true);
    // The first run's release left the re-run's lock alone: a third run is refused while the re-run works.
    expect(await redis.get(key)).toMatch(/^job 42 run [0-9a-f]{16}$/);
    await expect(withRunLock(redis, key, 'job 43', 300, async () => 'ran')).rejects.toThrow(RunLockHeldError);
    await expect(rerun).resolves.toBe('rerun done');
    expect(await redis.get(key)).toBeNull();
  } finally {
    await rerun?.catch(() => undefined); // never left running past the suite's Redis connection
  }
});

test('a lapsed lock is not taken back by its renewal, even when nobody took it meanwhile', async () => {
  const key = `${env.config.REDIS_KEY_PREFIX}jobs:lock:lapsed`;
  const run = withRunLock(redis, key, 'job 7', 300, async () => {
    stall(800);
    await sleep(400);
    return 'done';
  });
  await expect(run).rejects.toThrow(/lost the run lock \S+jobs:lock:lapsed while running/);
  expect(await redis.get(key)).toBeNull();
});

test('once the lock is lost, the run’s ClickHouse requests stop: the one in flight is aborted, later ones are not sent', async () => {
  const ch = createClickHouse(env.config);
  try {
    const lost = new AbortController();
    const runCh = abortableClickHouse(ch, lost.signal);
    expect(await queryRows(runCh, 'SELECT 1 AS n')).toEqual([{ n: 1 }]);
    const started = Date.now();
    const inFlight = queryRows(runCh, 'SELECT sleep(3) AS s');
    setTimeout(() => lost.abort(new RunLockLostError('the key')), 200);
    await expect(inFlight).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2_500);
    await expect(command(runCh, 'SELECT 1')).rejects.toThrow(RunLockLostError);
    // The process's own client goes on.
    expect(await queryRows(ch, 'SELECT 1 AS n')).toEqual([{ n: 1 }]);
  } finally {
    await ch.close();
  }
});

test('a run that lost its lock fails only once its work stopped, so a retry cannot start beside it', async () => {
  const key = `${env.config.REDIS_KEY_PREFIX}jobs:lock:settle`;
  let workEnded = 0;
  const run = withRunLock(redis, key, 'job 8', 300, async (signal) => {
    stall(800); // the lock lapses
    // Work that checks the signal late (a Kafka wait): it goes on for a while after the abort.
    while (!signal.aborted) await sleep(20);
    await sleep(250);
    workEnded = Date.now();
    return 'done';
  });
  await expect(run).rejects.toThrow(RunLockLostError);
  expect(workEnded).toBeGreaterThan(0); // the job failed after its work ended, not beside it
});
