/**
 * Crash recovery end to end: while the sample flows in, the enrich worker and the aggregate worker
 * are each SIGKILLed several times at random moments once they are visibly processing, and restarted.
 * The kills are spread over the stream (due at 20 %, 50 % and 80 % of the requests sent).
 * The final numbers must still equal the independent reference exactly: nothing lost (offsets are
 * committed only after the output is safe), nothing counted twice (re-produced enriched events are
 * removed by their dedup claim; re-delivered enriched messages by the stored-offset check).
 * Meanwhile the rollups are compacted every 2 s, and the final numbers are read through the last
 * compaction (as the reports read them).
 */
import { queryRows } from '@edusage/clickhouse';
import type { Kafka } from '@edusage/kafka';
import type { ServiceName } from '../src/services';
import {
  countRows,
  deadLetterCounts,
  PSEUDONYM_KEY,
  sendSamplePaced,
  setupE2E,
  type E2E,
  expectStoredAsReference,
  compactRepeatedly,
} from './support/e2e';
import { buildReference, type Reference } from './support/reference';

jest.setTimeout(240_000);

type Admin = ReturnType<Kafka['admin']>;

/** When (fraction of the sample's requests sent) each worker's kills are due: spread over the stream. */
const KILL_AT = [0.2, 0.5, 0.8];
const KILLS_PER_WORKER = KILL_AT.length;
/** How long to look for an in-between moment before killing anyway. */
const PROBE_MS = 8_000;

/** A small seeded PRNG (mulberry32), so the kill moments are random but repeatable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('end to end: SIGKILL of enrich and aggregate mid-stream', () => {
  let e2e: E2E;
  let ref: Reference;
  let admin: Admin | null = null;

  beforeAll(async () => {
    e2e = await setupE2E('e2e_crash', {
      extraEnv: {
        // Quick rejoin after a crash: a dead member leaves the group after 6 s instead of 30 s.
        ENRICH_SESSION_TIMEOUT_MS: '6000',
        AGGREGATE_SESSION_TIMEOUT_MS: '6000',
        // Small chunks and fetches: many produce/commit and insert/commit steps to be killed between.
        ENRICH_CHUNK_SIZE: '40',
        AGGREGATE_MAX_BYTES_PER_PARTITION: '65536',
      },
    });
    ref = buildReference(e2e.sample, PSEUDONYM_KEY);
    admin = e2e.kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect().catch(() => undefined);
    await e2e?.teardown();
  });

  it('gives exactly the reference numbers after repeated crashes of both workers', async () => {
    const rand = prng(4242);
    const enrichedEnd = async () =>
      (await admin!.fetchTopicOffsets(e2e.env.topics.enriched)).reduce((s, o) => s + Number(o.high), 0);
    const storedEvents = () => countRows(e2e.ch, 'usage_events');
    const committedOf = async (groupId: string, topic: string) => {
      const [ends, done] = await Promise.all([
        admin!.fetchTopicOffsets(topic),
        admin!.fetchOffsets({ groupId, topics: [topic] }),
      ]);
      const committed = done[0]?.partitions ?? [];
      return new Map(
        ends.map((e) => {
          const c = committed.find((p) => p.partition === e.partition)?.offset ?? '-1';
          return [e.partition, c === '-1' ? Number(e.low) : Number(c)];
        }),
      );
    };
    const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);

    /*
     * "In between" states, checked while the worker is frozen (SIGSTOP), so what is seen is what a
     * SIGKILL at that instant leaves behind:
     * - enrich: enriched messages produced for raw messages it has not committed (the count of
     *   enriched messages exceeds the count of committed raw messages by more than after the last
     *   kill), or raw messages committed whose output is not there (fewer);
     * - aggregate: rows in ClickHouse for enriched offsets at or past its committed offset (and past
     *   what the previous instance left there).
     */
    let enrichExcess = 0;
    const enrichState = async () =>
      (await enrichedEnd()) - sum(await committedOf(e2e.groups.ENRICH_GROUP_ID, e2e.env.topics.raw));
    const enrichBetween = async () => (await enrichState()) !== enrichExcess;
    // Highest stored offset per partition when the aggregate worker was last killed: rows up to there
    // may be left uncommitted by that instance; the running one is in between only past them.
    let staleMax = new Map<number, number>();
    const storedMax = async () =>
      new Map(
        (
          await queryRows<{ p: number; m: string }>(
            e2e.ch,
            `SELECT kafka_partition AS p, toString(max(kafka_offset)) AS m FROM usage_events GROUP BY p`,
          )
        ).map((r) => [Number(r.p), Number(r.m)]),
      );
    const aggregateBetween = async () => {
      const committed = await committedOf(e2e.groups.AGGREGATE_GROUP_ID, e2e.env.topics.enriched);
      return [...(await storedMax())].some(([p, m]) => m >= (committed.get(p) ?? 0) && m > (staleMax.get(p) ?? -1));
    };

    const kills: { worker: ServiceName; at: number; sent: number; inBetween: boolean; probes: number }[] = [];
    let sendingDone = false;
    let sent = 0;
    let total = 1;
    const due = KILL_AT.map(() => {
      let reached!: () => void;
      const p = new Promise<void>((r) => (reached = r));
      return { p, reached };
    });
    /**
     * Kills `worker` KILLS_PER_WORKER times. Each time, once its due point of the stream is reached
     * and it visibly makes progress after that, it is frozen at random moments until it is caught in between writing its output
     * and committing its input (at most PROBE_MS; else it is killed where it stands), then SIGKILLed.
     */
    const chaos = async (worker: ServiceName, progress: () => Promise<number>, between: () => Promise<boolean>) => {
      for (let k = 0; k < KILLS_PER_WORKER; k++) {
        await due[k]!.p;
        const base = await progress();
        const deadline = Date.now() + 60_000;
        while ((await progress()) <= base) {
          if (Date.now() > deadline) throw new Error(`${worker} made no progress within 60 s after (re)start ${k}`);
          await sleep(20);
        }
        const pid = e2e.pipeline.pid(worker)!;
        let inBetween = false;
        let probes = 0;
        for (const until = Date.now() + PROBE_MS; !inBetween && Date.now() < until;) {
          await sleep(rand() * 15);
          process.kill(pid, 'SIGSTOP');
          probes += 1;
          try {
            inBetween = await between();
          } finally {
            if (!inBetween) process.kill(pid, 'SIGCONT');
          }
        }
        await e2e.pipeline.kill(worker);
        if (worker === 'enrich') enrichExcess = await enrichState();
        else staleMax = await storedMax();
        kills.push({ worker, at: await progress(), sent: sent / total, inBetween, probes });
        expect(sendingDone).toBe(false); // mid-stream: more input was still to come
        e2e.pipeline.start(worker);
      }
    };
    let releaseTail!: () => void;
    const tail = new Promise<void>((r) => (releaseTail = r));
    const sending = sendSamplePaced(e2e, {
      batchSize: 40,
      pauseMs: () => 150 + rand() * 200,
      importSquidAfter: 0.4,
      holds: [
        ...KILL_AT.map((at, k) => ({ at, until: Promise.resolve(), reached: due[k]!.reached })),
        // The last 10 % wait until every kill is done: every kill happens mid-stream.
        { at: 0.9, until: tail },
      ],
      onAnswered: (i, n) => {
        sent = i + 1;
        total = n;
      },
    }).finally(() => (sendingDone = true));
    const mayhem = Promise.all([
      chaos('enrich', enrichedEnd, enrichBetween),
      chaos('aggregate', storedEvents, aggregateBetween),
    ]).finally(releaseTail);
    // Rollup compactions all along, between the sink's folds and across its crashes.
    let compactionsDone = false;
    const compacting = compactRepeatedly(e2e.ch, () => compactionsDone);
    await Promise.all([sending, mayhem]);
    // Context for a reader of a failure: where each kill hit and how much was pending then.
    process.stdout.write(`kills (at = progress when killed): ${JSON.stringify(kills)}\n`);
    expect(kills.filter((k) => k.worker === 'enrich')).toHaveLength(KILLS_PER_WORKER);
    expect(kills.filter((k) => k.worker === 'aggregate')).toHaveLength(KILLS_PER_WORKER);
    // Spread over the stream: each worker's k-th kill came after its due point and before the next one's.
    for (const worker of ['enrich', 'aggregate'] as const) {
      kills
        .filter((k) => k.worker === worker)
        .forEach((k, i) => {
          // (`sent` counts answered requests; the hold before request floor(total × due) released the kill.)
          expect(k.sent).toBeGreaterThanOrEqual(Math.floor(total * KILL_AT[i]!) / total);
          expect(k.sent).toBeLessThan(KILL_AT[i + 1] ?? 0.9);
        });
    }
    // The dangerous moment was hit (in practice nearly every kill is; two of three per worker are required).
    expect(kills.filter((k) => k.worker === 'enrich' && k.inBetween).length).toBeGreaterThanOrEqual(2);
    expect(kills.filter((k) => k.worker === 'aggregate' && k.inBetween).length).toBeGreaterThanOrEqual(2);

    await e2e.drain(180_000);
    compactionsDone = true;
    const generations = await compacting;
    process.stdout.write(`rollup month generations written during the stream: ${generations}\n`);
    expect(generations).toBeGreaterThan(2);

    const rawEnd = (await admin!.fetchTopicOffsets(e2e.env.topics.raw)).reduce((a, o) => a + Number(o.high), 0);
    // More enriched messages than raw ones = a crashed enrich had produced output it never committed.
    process.stdout.write(`raw messages ${rawEnd}, enriched messages ${await enrichedEnd()}\n`);
    expect(await enrichedEnd()).toBeGreaterThanOrEqual(rawEnd);
    await expectStoredAsReference(e2e.ch, ref);
    const letters = [...(await deadLetterCounts(e2e.ch)).values()].reduce((a, b) => a + b, 0);
    expect(letters).toBe([...ref.malformed.values()].reduce((a, b) => a + b, 0));
  });
});
