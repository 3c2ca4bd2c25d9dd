/**
 * ClickHouse goes away mid-stream: the pipeline writes to a private ClickHouse server (never the
 * shared one other suites use), which is SIGKILLed, kept down ~10 s while events keep flowing, and
 * restarted on the same data directory. The aggregate worker must ride it out (retry with backoff,
 * heartbeating: same process, same group membership, even with a session timeout shorter than the
 * outage) and the final numbers must equal the independent reference exactly.
 *
 * The kill is timed when no INSERT is in flight (the sender holds, the pipeline drains, then the
 * server dies and sending resumes into the outage). A kill that lands *inside* an INSERT or a rollup
 * derivation is covered by the second test, which kills the server repeatedly while batches are stored
 * and derived the way the sink does it.
 */
import { deriveRollups } from '@edusage/aggregate';
import { createClickHouse, ensureDatabase, insertRows, queryRows, runMigrations } from '@edusage/clickhouse';
import type { Kafka } from '@edusage/kafka';
import { migrationsDir, startPrivateClickHouse, type PrivateClickHouse } from '@edusage/testkit';
import {
  countRows,
  deadLetterCounts,
  PSEUDONYM_KEY,
  sendSamplePaced,
  setupE2E,
  type E2E,
  expectStoredAsReference,
} from './support/e2e';
import { buildReference } from './support/reference';

jest.setTimeout(240_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** State and member ids of a consumer group: a member thrown out and rejoining gets a new id. */
async function groupMembers(kafka: Kafka, groupId: string): Promise<{ state: string; members: string[] }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const g = groups[0]!;
    return { state: g.state, members: g.members.map((m) => m.memberId).sort() };
  } finally {
    await admin.disconnect();
  }
}

describe('end to end: ClickHouse stopped and restarted mid-stream', () => {
  let clickhouse: PrivateClickHouse | null = null;
  let e2e: E2E | null = null;

  beforeAll(async () => {
    clickhouse = await startPrivateClickHouse();
    // A session timeout (6 s) shorter than the outage and the back-off waits: only heartbeating while
    // retrying keeps the worker in its group.
    e2e = await setupE2E('e2e_ch_restart', {
      clickhouseUrl: clickhouse.url,
      extraEnv: { AGGREGATE_SESSION_TIMEOUT_MS: '6000' },
    });
  });

  afterAll(async () => {
    await e2e?.teardown(); // stops the services, then drops the database (the server is up again)
    await clickhouse?.cleanup();
  });

  it('resumes without crash-looping or losing its group, and ends with the reference numbers', async () => {
    const t = e2e!;
    const ch = clickhouse!;
    expect(t.serviceEnv.CLICKHOUSE_URL).toBe(ch.url);
    const ref = buildReference(t.sample, PSEUDONYM_KEY);
    const aggregatePid = t.pipeline.pid('aggregate');
    expect(aggregatePid).toBeDefined();

    let reachedHold!: () => void;
    const atHold = new Promise<void>((r) => (reachedHold = r));
    let resume!: () => void;
    const resumed = new Promise<void>((r) => (resume = r));
    let downAt = 0;
    let upAt = 0;
    let before: { state: string; members: string[] } | null = null;
    let storedBefore = 0;
    const outage = (async () => {
      try {
        await atHold;
        // A third of the sample is in; let it be stored, so no INSERT is in flight at the kill.
        await t.drain();
        storedBefore = await countRows(t.ch, 'usage_events');
        before = await groupMembers(t.kafka, t.groups.AGGREGATE_GROUP_ID);
        await ch.stop('SIGKILL');
        downAt = Date.now();
      } finally {
        resume(); // events flow into the outage
      }
      await sleep(10_000);
      await ch.start();
      upAt = Date.now();
    })();
    const sending = sendSamplePaced(t, {
      batchSize: 40,
      pauseMs: () => 100,
      importSquidAfter: 0.5,
      holds: [{ at: 0.35, until: resumed, reached: reachedHold }],
    });
    await Promise.all([outage, sending]);
    expect(storedBefore).toBeGreaterThan(500);
    expect(storedBefore).toBeLessThan(ref.storedEvents / 2);
    expect(upAt - downAt).toBeGreaterThanOrEqual(10_000);

    await t.drain(180_000);

    // Same process all along, same member in the group: it retried, it was not restarted or rebalanced.
    expect(t.pipeline.pid('aggregate')).toBe(aggregatePid);
    expect(before!.state).toBe('Stable');
    expect(await groupMembers(t.kafka, t.groups.AGGREGATE_GROUP_ID)).toEqual(before);
    const retries = t
      .logOf('aggregate')
      .map((l) => JSON.parse(l) as { msg: string; time: number })
      .filter((l) => / failed: retrying$/.test(l.msg));
    expect(retries.length).toBeGreaterThan(0);
    // ...during the outage, and not long after ClickHouse was back: one wait of at most ~19 s ends in a
    // failed attempt while it starts, and on a busy machine a slow attempt may fail once more.
    expect(Math.min(...retries.map((r) => r.time))).toBeGreaterThanOrEqual(downAt);
    expect(Math.max(...retries.map((r) => r.time))).toBeLessThan(upAt + 40_000);

    await expectStoredAsReference(t.ch, ref);
    const letters = [...(await deadLetterCounts(t.ch)).values()].reduce((a, b) => a + b, 0);
    expect(letters).toBe([...ref.malformed.values()].reduce((a, b) => a + b, 0));
  });
});

/**
 * ClickHouse killed in the middle of writes: batches are stored the way the sink stores them (one
 * INSERT into usage_events per batch; after a failure, check which offsets are stored before trying
 * again) and folded into the rollups by the sink's own derivation, while the server is SIGKILLed and
 * restarted several times. Every event must end up exactly once in usage_events and in every rollup.
 */
describe('ClickHouse killed during INSERTs and rollup derivations', () => {
  it('keeps usage_events and every rollup exact', async () => {
    const server = await startPrivateClickHouse();
    const config = {
      CLICKHOUSE_URL: server.url,
      CLICKHOUSE_USER: 'default',
      CLICKHOUSE_PASSWORD: '',
      CLICKHOUSE_DATABASE: 'kill_mid_write',
    };
    const ch = createClickHouse(config);
    const topic = 'usage.enriched';
    const total = 40_000;
    const batch = 2000;
    try {
      await ensureDatabase(config);
      await runMigrations(ch, migrationsDir());
      const row = (o: number) => ({
        district_id: 'd1',
        local_date: o % 3 === 0 ? '2026-10-31' : '2026-11-02', // two months: two parts per INSERT
        occurred_at: '2026-11-02 15:00:00',
        school_id: 'sch-1',
        class_id: `cls-${o % 7}`,
        class_attribution: 'inferred',
        person_id: `p${o % 50}`,
        person_resolved: 1,
        role: 'student',
        app_id: `app-${o % 5}`,
        app_resolved: 1,
        app_domain: '',
        source: 'agent',
        event_type: 'use',
        campus: 'on',
        explicit_seconds: 10,
        counts_minute: 0,
        event_id: `e${o}`,
        dedup_key: `k${o}`,
        kafka_topic: topic,
        kafka_partition: 0,
        kafka_offset: String(o),
        stored_at: '2026-11-23 00:00:00',
      });
      // One month per INSERT, as the sink does, so each INSERT is one part.
      const storeBatch = async (first: number) => {
        const offsets = Array.from({ length: batch }, (_, i) => first + i);
        for (const month of ['2026-10', '2026-11']) {
          const known = new Set(
            (
              await queryRows<{ o: string }>(
                ch,
                `SELECT toString(kafka_offset) AS o FROM usage_events WHERE kafka_topic = '${topic}'
                 AND kafka_partition = 0 AND kafka_offset >= ${first} AND kafka_offset < ${first + batch}`,
              )
            ).map((r) => Number(r.o)),
          );
          const rows = offsets
            .map(row)
            .filter((r) => r.local_date.startsWith(month) && !known.has(Number(r.kafka_offset)));
          await insertRows(ch, 'usage_events', rows);
        }
        await deriveRollups(ch, topic, 0, BigInt(first + batch));
      };
      // A restart that fails (the server does not come back) ends the test with its error, not a timeout.
      const kills = { running: true, error: null as unknown };
      const killer = (async () => {
        try {
          for (let k = 0; k < 5; k++) {
            await sleep(200 + Math.random() * 600);
            await server.stop('SIGKILL');
            await sleep(200);
            await server.start();
          }
        } catch (err) {
          kills.error = err;
        } finally {
          kills.running = false;
        }
      })();
      let failures = 0;
      for (let first = 0; first < total;) {
        if (kills.error) throw kills.error;
        try {
          await storeBatch(first);
          first += batch;
        } catch {
          failures += 1; // the server is down or died mid-write: retry the same batch
          await sleep(100);
        }
        if (first >= total && kills.running) await sleep(50);
      }
      await killer;
      if (kills.error) throw kills.error;
      for (;;) {
        try {
          await deriveRollups(ch, topic, 0, BigInt(total)); // a derivation cut off by the last kill completes here
          break;
        } catch {
          await sleep(200);
        }
      }
      expect(failures).toBeGreaterThan(0); // the kills really hit writes
      const [counts] = await queryRows<Record<string, string>>(
        ch,
        `SELECT (SELECT count() FROM usage_events) AS rows, (SELECT uniqExact(kafka_offset) FROM usage_events) AS offsets,
                (SELECT sumMerge(events) FROM rollup_district_app_daily) AS district,
                (SELECT sumMerge(events) FROM rollup_school_app_daily) AS school,
                (SELECT sumMerge(events) FROM rollup_class_app_daily) AS class`,
      );
      const n = String(total);
      expect(counts).toEqual({ rows: n, offsets: n, district: n, school: n, class: n });
    } finally {
      await ch.close();
      await server.cleanup();
    }
  });
});
