/**
 * Redis restarted mid-stream: ingest, enrich and aggregate all use a private Redis (API keys, roster
 * and catalog, duplicate claims, whatever a service keeps there), which is restarted twice while the
 * sample flows in: once gracefully (SIGTERM: Redis writes its append-only file) and once killed
 * (SIGKILL: what the last second's fsync policy keeps); aggregate has a backlog to work through while
 * Redis is down. The services must ride it out (reconnect, retry)
 * and the final numbers must equal the independent reference exactly.
 */
import { startPrivateRedis, type PrivateRedis } from '@edusage/testkit';
import {
  deadLetterCounts,
  PSEUDONYM_KEY,
  sendSamplePaced,
  setupE2E,
  type E2E,
  expectStoredAsReference,
} from './support/e2e';
import { buildReference, type Reference } from './support/reference';

jest.setTimeout(300_000);

/** When (fraction of the requests sent) Redis is restarted, and how it is stopped. */
const RESTARTS: { at: number; signal: 'SIGTERM' | 'SIGKILL' }[] = [
  { at: 0.3, signal: 'SIGTERM' },
  { at: 0.6, signal: 'SIGKILL' },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('end to end: Redis restarted while events flow', () => {
  let redis: PrivateRedis;
  let e2e: E2E;
  let ref: Reference;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    e2e = await setupE2E('e2e_redis_restart', { redisUrl: redis.url });
    ref = buildReference(e2e.sample, PSEUDONYM_KEY);
  });

  afterAll(async () => {
    await e2e?.teardown();
    await redis?.cleanup();
  });

  it('gives exactly the reference numbers after Redis restarts mid-stream', async () => {
    let sent = 0;
    let total = 1;
    const due = RESTARTS.map(() => {
      let reached!: () => void;
      const p = new Promise<void>((r) => (reached = r));
      return { p, reached };
    });
    const restarts: { signal: string; sent: number; downMs: number }[] = [];
    let releaseTail!: () => void;
    const tail = new Promise<void>((r) => (releaseTail = r));
    const restarting = (async () => {
      for (const [k, r] of RESTARTS.entries()) {
        await due[k]!.p;
        // Aggregate would idle through the outage (enrich stalls on its Redis reads, so nothing new
        // arrives): freeze it first so enriched events pile up, and let it work through them while
        // Redis is down.
        const aggregate = e2e.pipeline.pid('aggregate')!;
        process.kill(aggregate, 'SIGSTOP');
        await sleep(3_000);
        const t0 = Date.now();
        await redis.stop(r.signal);
        process.kill(aggregate, 'SIGCONT');
        await sleep(2_500); // down for a while: requests, lookups and claims meet a dead Redis
        await redis.start();
        restarts.push({ signal: r.signal, sent: sent / total, downMs: Date.now() - t0 });
      }
    })().finally(releaseTail);
    const sending = sendSamplePaced(e2e, {
      batchSize: 40,
      pauseMs: () => 100 + Math.random() * 150,
      importSquidAfter: 0.45,
      holds: [
        ...RESTARTS.map((r, k) => ({ at: r.at, until: Promise.resolve(), reached: due[k]!.reached })),
        // The last 10 % wait until Redis is back for good: both restarts happen mid-stream.
        { at: 0.9, until: tail },
      ],
      onAnswered: (i, n) => {
        sent = i + 1;
        total = n;
      },
    });
    await Promise.all([sending, restarting]);
    process.stdout.write(`redis restarts: ${JSON.stringify(restarts)}\n`);
    expect(restarts).toHaveLength(RESTARTS.length);
    restarts.forEach((r) => expect(r.sent).toBeLessThan(0.9));

    await e2e.drain(180_000);
    // The outages were felt: the services' logs name the lost connection.
    const felt = Object.fromEntries(
      (['ingest', 'enrich', 'aggregate'] as const).map((svc) => [
        svc,
        e2e.logOf(svc).filter((l) => /ECONNREFUSED|redis error|Connection is closed/i.test(l)).length,
      ]),
    );
    process.stdout.write(`log lines about the Redis outage: ${JSON.stringify(felt)}\n`);
    expect(Object.values(felt).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // Every service is still the one started at the beginning or was restarted by no one: none died.
    for (const svc of ['ingest', 'enrich', 'aggregate'] as const) expect(e2e.pipeline.pid(svc)).toBeDefined();

    await expectStoredAsReference(e2e.ch, ref);
    const letters = [...(await deadLetterCounts(e2e.ch)).values()].reduce((a, b) => a + b, 0);
    expect(letters).toBe([...ref.malformed.values()].reduce((a, b) => a + b, 0));
  });
});
