import { command, type ClickHouseClient } from '@edusage/clickhouse';
import { createKafka } from '@edusage/kafka';
import { ALL_LEVELS, ROLLUP_LEVELS } from '@edusage/rollups';
import { waitFor, type TestEnv } from '@edusage/testkit';
import { makeEnrichedEvents } from './enriched-fixtures';
import { groupOf, produceEnriched, startWorker, storedCounts, suiteEnvs, testLogger } from './sink-harness';

jest.setTimeout(240_000);

/** The group's committed offset of partition 0 of the enriched topic ('-1': nothing committed). */
async function committed(env: TestEnv, group: string): Promise<string> {
  const admin = createKafka(env.config, testLogger).admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId: groupOf(env, group), topics: [env.topics.enriched] });
    return offsets?.partitions[0]?.offset ?? '-1';
  } finally {
    await admin.disconnect();
  }
}

// A table changed under a running sink makes ClickHouse refuse a statement (not its data) every time: the
// claims lookup reads a column that is gone, the events INSERT names one. No retry mends that, so the
// partition is refused naming the drift, as at start, instead of being retried for ever.
describe('aggregate sink: a table drifts while it runs (real Kafka and ClickHouse)', () => {
  const envs = suiteEnvs(1);
  afterAll(() => envs.cleanup());

  it.each([
    ['the claims lookup', 'ALTER TABLE event_claims DROP COLUMN owner_offset', /event_claims\.owner_offset is missing/],
    ['the events INSERT', 'ALTER TABLE usage_events DROP COLUMN campus', /usage_events\.campus is missing/],
  ])(
    'refuses the partition when %s fails on a drifted table, committing nothing after',
    async (_step, drift, named) => {
      const { env, ch } = await envs.fresh('sink_drift');
      const sink = await startWorker(env, ch as ClickHouseClient, 'drift');
      try {
        const [before, after] = [makeEnrichedEvents(20, 51, 0), makeEnrichedEvents(20, 52, 0)];
        await produceEnriched(sink.producer, env.topics.enriched, before);
        await waitFor(
          () => committed(env, 'drift'),
          (offset) => offset === '20',
          { what: 'the first 20 events stored and committed', timeoutMs: 60_000 },
        );
        await command(ch, drift);
        await produceEnriched(sink.producer, env.topics.enriched, after);
        const stalled = await waitFor(
          async () => sink.worker.stalled,
          (s) => s.length > 0,
          { what: 'the partition refused', timeoutMs: 60_000 },
        );
        expect(stalled[0]).toMatchObject({ topic: env.topics.enriched, partition: 0 });
        expect(stalled[0]!.reason).toMatch(/ClickHouse schema drifted/);
        expect(stalled[0]!.reason).toMatch(named);
        expect((await storedCounts(ch)).rows).toBe(20);
        expect(await committed(env, 'drift')).toBe('20');
      } finally {
        await sink.stop();
      }
    },
  );

  it('takes a column added to its tables as no drift: events stored, folded and committed', async () => {
    const { env, ch } = await envs.fresh('sink_added');
    for (const table of ['usage_events', 'event_claims', ...ALL_LEVELS.map((l) => ROLLUP_LEVELS[l].parts)])
      await command(ch, `ALTER TABLE ${table} ADD COLUMN added_later UInt8 DEFAULT 7`);
    const sink = await startWorker(env, ch, 'added');
    try {
      await produceEnriched(sink.producer, env.topics.enriched, makeEnrichedEvents(20, 53, 0));
      // Committed only after the fold (the harness folds every batch): every INSERT took the new column.
      await waitFor(
        () => committed(env, 'added'),
        (offset) => offset === '20',
        { what: 'the events stored, folded and committed', timeoutMs: 60_000 },
      );
      expect(sink.worker.stalled).toEqual([]);
      expect((await storedCounts(ch)).rows).toBe(20);
    } finally {
      await sink.stop();
    }
  });
});
