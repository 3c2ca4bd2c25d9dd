import { createClickHouse, type ClickHouseClient } from '@edusage/clickhouse';
import { createTestEnv, waitFor, type TestEnv } from '@edusage/testkit';
import { makeEnrichedEvents, referenceDistrictRollup } from './enriched-fixtures';
import {
  interceptClickHouse,
  produceEnriched,
  readDistrictRollup,
  sortedReference,
  startWorker,
  storedCounts,
} from './sink-harness';

jest.setTimeout(300_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A second aggregate joins the group while the first is stuck retrying ClickHouse writes (ClickHouse
 * unreachable from the first: its INSERTs fail until the test lets them through), then leaves again.
 * The first must notice that its partitions were revoked, abandon its in-flight batches and rejoin
 * (kafkajs' isStale() does not say so: before the fix it retried for ever, never rejoined, and after the
 * second left nobody consumed). At the end every offset is stored once and the rollups equal a
 * reference computed from the input.
 */
// Batches stored as they come, and gathered (held across fetches: the rebalance lets held messages go,
// and batches that took held messages are abandoned; BatchGathering's marks).
describe.each([
  { batches: 'stored as they come', name: 'sink_rebalance', gather: undefined },
  { batches: 'gathered', name: 'sink_rebalance_gathered', gather: { minMessages: 2_000, maxWaitMs: 1_500 } },
])('aggregate sink across a rebalance while ClickHouse is failing for one worker, batches $batches', (variant) => {
  let env: TestEnv;
  let ch: ClickHouseClient;
  beforeAll(async () => {
    env = await createTestEnv(variant.name, { partitions: 2 });
    ch = createClickHouse(env.config);
  });
  afterAll(async () => {
    await ch?.close();
    await env?.cleanup();
  });

  it('abandons revoked batches, rejoins, and ends with every offset once and exact rollups', async () => {
    let unreachable = true;
    let refusedInserts = 0;
    const failingForA = (client: ClickHouseClient) =>
      interceptClickHouse(client, {
        write: async (_table, send) => {
          if (unreachable) {
            refusedInserts += 1;
            throw new Error('connect ECONNREFUSED (test: ClickHouse unreachable from worker A)');
          }
          return send();
        },
      });
    const wave1 = makeEnrichedEvents(3000, 51);
    const wave2 = makeEnrichedEvents(1500, 52);
    const workerVariant = variant.gather ? { gather: variant.gather } : {};
    const a = await startWorker(env, ch, 'rebalance', failingForA, workerVariant);
    let b: Awaited<ReturnType<typeof startWorker>> | null = null;
    try {
      await produceEnriched(a.producer, env.topics.enriched, wave1);
      await waitFor(
        async () => refusedInserts,
        (n) => n >= 2,
        { what: 'worker A retrying its inserts', timeoutMs: 60_000 },
      );
      // B joins while A is stuck: the group rebalances and B must get (at least) a share it can store.
      b = await startWorker(env, ch, 'rebalance', undefined, workerVariant);
      await waitFor(
        () => storedCounts(ch),
        (c) => c.offsets > 0,
        { what: 'worker B storing after the rebalance', timeoutMs: 45_000 },
      );
      expect(a.worker.stats.abandoned).toBeGreaterThan(0);
      unreachable = false; // ClickHouse is back for A
      const unique1 = [...referenceDistrictRollup(wave1).values()].reduce((s, c) => s + c.events, 0);
      await waitFor(
        () => storedCounts(ch),
        (c) => c.offsets >= unique1,
        { what: 'wave 1 stored', timeoutMs: 120_000 },
      );
      // B leaves: A alone must take every partition and store the second wave.
      await b.stop();
      b = null;
      await produceEnriched(a.producer, env.topics.enriched, wave2);
      const expected = referenceDistrictRollup([...wave1, ...wave2]);
      const unique = [...expected.values()].reduce((s, c) => s + c.events, 0);
      await waitFor(
        () => storedCounts(ch),
        (c) => c.offsets >= unique,
        { what: 'wave 2 stored by A alone', timeoutMs: 120_000 },
      );
      await waitFor(
        () => readDistrictRollup(ch),
        (r) => r.reduce((s, [, c]) => s + c.events, 0) >= unique,
        { what: 'rollups complete', timeoutMs: 60_000 },
      );
      await sleep(3000); // anything stored or folded twice would show up now
      expect(await storedCounts(ch)).toEqual({ rows: unique, offsets: unique });
      expect(await readDistrictRollup(ch)).toEqual(sortedReference(expected));
    } finally {
      await b?.stop();
      await a.stop();
    }
  });
});
