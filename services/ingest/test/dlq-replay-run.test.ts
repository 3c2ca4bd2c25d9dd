import { kafkaPosition, makeDeadLetter, type DeadLetter, type RawMessage } from '@edusage/contracts';
import { createKafka, createProducer, produceJson, readTopicToEnd, type Kafka, type Producer } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import type { DeadLetterFilter } from '../src/dlq/filter';
import { replayDeadLetters, type ReplaySummary } from '../src/dlq/replay';

// Whole `dlq replay` runs on the real Kafka: what a run sends, and what it does with the letters that
// come back when a downstream stage refuses a replayed record again (found by review: they doubled).

jest.setTimeout(120_000);

const FAILED_AT = new Date(Date.now() - 3_600_000);
const nativeEvent = {
  event_id: 'n-1',
  occurred_at: new Date(FAILED_AT.getTime() - 60_000).toISOString(),
  type: 'use',
  user: { sourced_id: 'stu-1' },
  app: { app_id: 'google-docs' },
  active_seconds: 42,
};
const rawMessage: RawMessage = {
  v: 1,
  event: { ...nativeEvent, district_id: 'd1', source: 'agent' } as RawMessage['event'],
  received_at: FAILED_AT.toISOString(),
  channel: 'http',
  origin: 'req-1#0',
};
// Valid for the schema, but a day ClickHouse's Date cannot hold: the aggregate refuses it every time.
const enrichedEvent = {
  v: 1,
  dedup_key: 'a'.repeat(32),
  event_id: 'b'.repeat(32),
  occurred_at: '2200-01-01T00:00:00.000Z',
  local_date: '2200-01-01',
  district_id: 'd1',
  school_id: null,
  class_id: null,
  class_attribution: 'none',
  person_id: 'c'.repeat(32),
  person_resolved: false,
  role: 'unknown',
  app_id: 'x',
  app_resolved: false,
  app_domain: null,
  source: 'agent',
  type: 'use',
  campus: 'unknown',
  explicit_seconds: 0,
  counts_minute: false,
  raw: { topic: 'usage.raw', partition: 0, offset: '1' },
  enriched_at: '2026-01-01T00:00:00.000Z',
};

const letter = (over: Partial<Parameters<typeof makeDeadLetter>[0]>): DeadLetter =>
  makeDeadLetter({
    stage: 'ingest',
    source: 'agent',
    districtId: 'd1',
    reason: { code: 'unsupported_event', message: 'older version' },
    payload: nativeEvent,
    inputFormat: 'native',
    now: FAILED_AT,
    ...over,
  });

interface World {
  env: TestEnv;
  kafka: Kafka;
  producer: Producer;
}

const worlds: World[] = [];
async function world(name: string): Promise<World> {
  const env = await createTestEnv(name);
  const kafka = createKafka(env.config, createLogger(`${name}-test`, env.env.LOG_LEVEL));
  const w = { env, kafka, producer: await createProducer(kafka) };
  worlds.push(w);
  return w;
}
afterAll(async () => {
  for (const w of worlds) {
    await w.producer.disconnect().catch(() => undefined);
    await w.env.cleanup();
  }
});

async function records(w: World, topic: string): Promise<{ at: string; text: string }[]> {
  const out: { at: string; text: string }[] = [];
  await readTopicToEnd(w.kafka, topic, async (batch) => {
    for (const r of batch) out.push({ at: kafkaPosition(topic, r.partition, r.offset), text: r.value ?? '' });
  });
  return out;
}

const run = (w: World, opts: { again?: boolean; filter?: DeadLetterFilter } = {}): Promise<ReplaySummary> =>
  replayDeadLetters({ kafka: w.kafka, producer: w.producer, topics: w.env.topics, filter: {}, ...opts });

/**
 * Enrich and the aggregate as they treat what a replay sent when its cause is not fixed: every record
 * new on usage.raw or usage.enriched is refused again, as a letter whose payload is the record's text
 * and whose origin is the record's place (services/enrich worker/process.ts, services/aggregate handlers.ts).
 */
function downstream(w: World): () => Promise<number> {
  const seen = new Set<string>();
  return async () => {
    const letters: DeadLetter[] = [];
    for (const r of await records(w, w.env.topics.raw)) {
      if (seen.has(r.at)) continue;
      seen.add(r.at);
      const refused = letter({
        stage: 'enrich',
        payload: r.text,
        reason: { code: 'internal_error', message: 'catalog lookup failed' },
        origin: r.at,
        now: new Date(),
      });
      delete refused.input_format;
      letters.push(refused);
    }
    for (const r of await records(w, w.env.topics.enriched)) {
      if (seen.has(r.at)) continue;
      seen.add(r.at);
      const refused = letter({
        stage: 'aggregate',
        source: 'usage.enriched',
        payload: r.text,
        reason: { code: 'unstorable_value', message: 'local_date is not a storable calendar day', field: 'local_date' },
        origin: r.at,
        now: new Date(),
      });
      delete refused.input_format;
      letters.push(refused);
    }
    await produceJson(
      w.producer,
      w.env.topics.dlq,
      letters.map((l) => ({ key: l.source, value: l })),
    );
    return letters.length;
  };
}

it('sends one input once per run: a copy of a letter already sent in the run is counted as a duplicate', async () => {
  const w = await world('ingest_dlq_replay_dup');
  const fromEnrich = () => {
    const l = letter({
      stage: 'enrich',
      payload: JSON.stringify(rawMessage),
      reason: { code: 'internal_error', message: 'x' },
      origin: `${w.env.topics.raw}/0/5`,
    });
    delete l.input_format;
    return l;
  };
  // A client that sent the same refused item twice; enrich refusing the same record twice (a redelivery).
  const letters = [letter({}), letter({}), fromEnrich(), fromEnrich()];
  await produceJson(
    w.producer,
    w.env.topics.dlq,
    letters.map((l) => ({ key: l.source, value: l })),
  );

  const summary = await run(w);
  expect(summary).toMatchObject({ read: 4, selected: 4, replayed: 2, duplicates: 2, events: 2 });
  const sent = await records(w, w.env.topics.raw);
  expect(sent).toHaveLength(2);
  expect(sent.map((r) => (JSON.parse(r.text) as RawMessage).channel).sort()).toEqual(['http', 'replay']);
});

it('does not replay again what came back from an earlier replay: the letters stop doubling', async () => {
  const w = await world('ingest_dlq_replay_again');
  const refuse = downstream(w);
  const first = [
    // Refused by enrich (a bug), by the aggregate (a day it cannot store), and by an older adapter
    // whose event today's adapter takes but enrich refuses.
    letter({
      stage: 'enrich',
      payload: JSON.stringify(rawMessage),
      reason: { code: 'internal_error', message: 'x' },
      origin: `${w.env.topics.raw}/0/5`,
    }),
    letter({
      stage: 'aggregate',
      source: 'usage.enriched',
      payload: JSON.stringify(enrichedEvent),
      reason: { code: 'unstorable_value', message: 'local_date is not a storable calendar day', field: 'local_date' },
      origin: `${w.env.topics.enriched}/1/10`,
    }),
    letter({}),
    // A raw message without an origin: replay gives it one (`dlq:<its letter's place>`).
    letter({
      stage: 'enrich',
      payload: JSON.stringify({ ...rawMessage, origin: undefined, event: { ...rawMessage.event, event_id: 'n-2' } }),
      reason: { code: 'internal_error', message: 'x' },
      origin: `${w.env.topics.raw}/2/7`,
    }),
  ];
  for (const l of first) if (l.stage !== 'ingest') delete l.input_format;
  await produceJson(
    w.producer,
    w.env.topics.dlq,
    first.map((l) => ({ key: l.source, value: l })),
  );

  const one = await run(w);
  expect(one).toMatchObject({ read: 4, replayed: 4, events: 4 });
  expect(await refuse()).toBe(4);

  // Each input came back once: the originals and their copies are skipped, nothing is sent, no new letter.
  for (let i = 2; i <= 3; i++) {
    const again = await run(w);
    const refusedAgain = await refuse();
    const onTopic = (await records(w, w.env.topics.dlq)).length;
    expect({ run: i, replayed: again.replayed, events: again.events, refusedAgain, onTopic }).toEqual({
      run: i,
      replayed: 0,
      events: 0,
      refusedAgain: 0,
      onTopic: 8,
    });
    expect(again).toMatchObject({ read: 8, selected: 8, alreadyReplayed: 8, duplicates: 0 });
  }
  expect(await records(w, w.env.topics.raw)).toHaveLength(3);
  expect(await records(w, w.env.topics.enriched)).toHaveLength(1);

  // Only the first letters selected: what came back after them still counts.
  const originals = await run(w, { filter: { until: new Date(FAILED_AT.getTime() + 1) } });
  expect(originals).toMatchObject({ read: 8, selected: 4, replayed: 0, alreadyReplayed: 4 });

  // After a downstream fix, asked for: each input is sent once more (the copies are duplicates).
  const forced = await run(w, { again: true });
  expect(forced).toMatchObject({ replayed: 6, duplicates: 2, alreadyReplayed: 0 });
});
