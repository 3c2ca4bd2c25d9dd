import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { makeDeadLetter } from '@edusage/contracts';
import { createKafka, deleteTopics, ensureTopics, produceJson } from '@edusage/kafka';
import { waitFor } from '@edusage/testkit';
import { makeEnrichedEvents, referenceDistrictRollup } from './enriched-fixtures';
import {
  groupOf,
  interceptClickHouse,
  produceEnriched,
  readDistrictRollup,
  sortedReference,
  startWorker,
  suiteEnvs,
  storedCounts,
  testLogger,
} from './sink-harness';

jest.setTimeout(240_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('aggregate sink: holes of issue 11, against real Kafka, ClickHouse and Redis', () => {
  const envs = suiteEnvs(1);
  const freshEnv = (name: string) => envs.fresh(name);
  afterAll(() => envs.cleanup());

  it('stores a poison record as a dead letter instead of stalling the partition, and the good records beside it', async () => {
    const { env, ch } = await freshEnv('sink_poison');
    const good = makeEnrichedEvents(20, 31, 0);
    const badTime = { ...good[0]!, dedup_key: 'f'.repeat(32), event_id: 'bad-time', occurred_at: 'yesterday-ish' };
    const sink = await startWorker(env, ch, 'poison');
    try {
      await produceEnriched(sink.producer, env.topics.enriched, [...good.slice(0, 10), badTime, ...good.slice(10)]);
      // A dead letter whose failed_at is not a date passes the dead-letter schema (it is a string).
      const letter = makeDeadLetter({
        stage: 'ingest',
        source: 'agent',
        districtId: 'd1',
        reason: { code: 'invalid_field', message: 'x', field: 'user' },
        payload: '{}',
      });
      await produceJson(sink.producer, env.topics.dlq, [
        { key: 'a', value: { ...letter, failed_at: 'not a date' } },
        { key: 'b', value: letter },
      ]);
      await waitFor(
        () => storedCounts(ch),
        (c) => c.rows >= 20,
        { what: 'good events stored', timeoutMs: 60_000 },
      );
      const letters = await waitFor(
        () =>
          queryRows<{ reason_code: string; reason_field: string; stage: string }>(
            ch,
            'SELECT reason_code, reason_field, stage FROM dead_letters ORDER BY kafka_offset',
          ),
        (rows) => rows.length >= 3,
        { what: 'three dead letters stored', timeoutMs: 60_000 },
      );
      // The bad dead letter stored as "not a valid dead letter", the good one as it is, and the
      // event with an unreadable time dead-lettered by aggregate, naming the field.
      expect(letters).toEqual(
        expect.arrayContaining([
          { reason_code: 'invalid_dead_letter', reason_field: 'failed_at', stage: 'aggregate' },
          { reason_code: 'invalid_field', reason_field: 'user', stage: 'ingest' },
          { reason_code: 'unstorable_value', reason_field: 'occurred_at', stage: 'aggregate' },
        ]),
      );
      expect((await storedCounts(ch)).rows).toBe(20);
    } finally {
      await sink.stop();
    }
  });

  it('does not store a batch twice when an INSERT response is lost and the INSERT lands after the retry', async () => {
    const { env, ch } = await freshEnv('sink_lost_response');
    const events = makeEnrichedEvents(300, 32, 0);
    let held = 0;
    const wrapped = (client: ClickHouseClient) =>
      interceptClickHouse(client, {
        write: async (table, send) => {
          if (table !== 'usage_events' || held > 0) return send();
          held += 1;
          // The first INSERT's body reaches the server 3 s late (a stalled connection) while the worker
          // has already given up on it: the server runs it after the worker re-read and inserted again.
          void send(3000).catch(() => undefined);
          await sleep(300);
          throw new Error('Timeout error.');
        },
      });
    const sink = await startWorker(env, ch, 'lost-response', wrapped);
    try {
      await produceEnriched(sink.producer, env.topics.enriched, events);
      await waitFor(
        () => storedCounts(ch),
        (c) => c.offsets >= events.length,
        { what: 'all events stored', timeoutMs: 60_000 },
      );
      await sleep(5000); // the held-back first INSERT has certainly run by now
      expect(held).toBe(1);
      expect(await storedCounts(ch)).toEqual({ rows: events.length, offsets: events.length });
      expect(await readDistrictRollup(ch)).toEqual(sortedReference(referenceDistrictRollup(events)));
    } finally {
      await sink.stop();
    }
  });

  it('refuses loudly, and drops nothing, when the topic was deleted and created again (offsets start over)', async () => {
    const { env, ch } = await freshEnv('sink_recreated');
    const first = makeEnrichedEvents(50, 33, 0);
    let sink = await startWorker(env, ch, 'recreated');
    await produceEnriched(sink.producer, env.topics.enriched, first);
    await waitFor(
      () => storedCounts(ch),
      (c) => c.rows >= first.length,
      { what: 'first incarnation stored', timeoutMs: 60_000 },
    );
    await sink.stop();

    const kafka = createKafka(env.config, testLogger);
    await deleteTopics(kafka, [env.topics.enriched]);
    await waitFor(
      async () => {
        await ensureTopics(kafka, [env.topics.enriched], 1);
        return true;
      },
      (ok) => ok,
      { what: 'topic created again' },
    );
    const second = makeEnrichedEvents(30, 34, 0); // other events, at offsets 0..29 again
    sink = await startWorker(env, ch, 'recreated');
    try {
      await produceEnriched(sink.producer, env.topics.enriched, second);
      // The worker must not treat offsets 0..29 as "already stored": it stops that partition and says why.
      const stalled = await waitFor(
        async () => sink.worker.stalled,
        (s) => s.length > 0,
        { what: 'the partition refused', timeoutMs: 60_000 },
      );
      expect(stalled[0]).toMatchObject({ topic: env.topics.enriched, partition: 0 });
      expect(stalled[0]!.reason).toMatch(/deleted and created again|different event/);
      // Nothing of the new incarnation was dropped by a commit.
      const admin = kafka.admin();
      await admin.connect();
      try {
        const [offsets] = await admin.fetchOffsets({
          groupId: groupOf(env, 'recreated'),
          topics: [env.topics.enriched],
        });
        expect(offsets?.partitions[0]?.offset).toBe('-1');
      } finally {
        await admin.disconnect();
      }
    } finally {
      await sink.stop();
    }
  });
});
