import { waitFor } from '@edusage/testkit';
import type { SinkMessage } from '../src/batch-gathering';
import type { SinkTimings } from '../src/sink-timings';
import { makeEnrichedEvents } from './enriched-fixtures';
import { produceEnriched, startWorker, storedCounts, suiteEnvs } from './sink-harness';

jest.setTimeout(180_000);

/** Timings that keep the offsets whose age was taken, per topic. */
function recordedTimings(): SinkTimings & { offsets: string[] } {
  const offsets: string[] = [];
  return {
    offsets,
    stored(_topic: string, messages: readonly SinkMessage[]) {
      for (const m of messages) offsets.push(m.offset);
    },
    folded() {},
  };
}

// The age-at-store histogram (edusage_aggregate_event_age_at_store_seconds) is the sink's part of
// ingest→queryable: an event's age is taken when its row is stored, once.
describe('aggregate sink: event ages', () => {
  const envs = suiteEnvs(1);
  afterAll(() => envs.cleanup());

  it('are taken for the rows stored, not for a duplicate, nor again when the events are read again', async () => {
    const { env, ch } = await envs.fresh('sink_timings');
    const events = makeEnrichedEvents(30, 61, 0);
    const first = recordedTimings();
    const a = await startWorker(env, ch, 'timings-a', undefined, { timings: first });
    try {
      // The first event sent again: a duplicate (its claim is the first copy's), no row.
      await produceEnriched(a.producer, env.topics.enriched, [...events, events[0]!]);
      await waitFor(
        () => Promise.resolve({ ...a.worker.stats }),
        (s) => s.inserted === events.length && s.duplicates === 1,
        { what: '30 rows stored and one duplicate', timeoutMs: 90_000 },
      );
    } finally {
      await a.stop();
    }
    expect((await storedCounts(ch)).rows).toBe(events.length);
    expect(first.offsets.sort((x, y) => Number(x) - Number(y))).toEqual(events.map((_, i) => String(i)));

    // Another group reads the topic again from its start: every row is already stored.
    const again = recordedTimings();
    const b = await startWorker(env, ch, 'timings-b', undefined, { timings: again });
    try {
      await waitFor(
        () => Promise.resolve({ ...b.worker.stats }),
        (s) => s.alreadyStored === events.length && s.duplicates === 1,
        { what: 'the topic read again', timeoutMs: 90_000 },
      );
    } finally {
      await b.stop();
    }
    expect(again.offsets).toEqual([]);
    expect((await storedCounts(ch)).rows).toBe(events.length);
  });
});
