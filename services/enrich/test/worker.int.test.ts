import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import {
  enrichedEventSchema,
  deadLetterSchema,
  userPartitionKey,
  type EnrichedEvent,
  type DeadLetter,
  type RawMessage,
} from '@edusage/contracts';
import { createConsumer, createKafka, createProducer } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { createTestEnv, waitFor, type TestEnv } from '@edusage/testkit';
import {
  loadEnrichConfig,
  saveDistrictCatalog,
  saveRosterToRedis,
  startEnrichWorker,
  senderPartitionKey,
  type EnrichConfig,
  type EnrichWorker,
} from '../src';
import { raw, sampleRoster } from './helpers';
import { documentedDedupKey, documentedEventId, documentedPseudonym } from './documented-ids';

const KEY = 'worker-int-pseudonym-key-0123456';

let env: TestEnv;
let config: EnrichConfig;
let redis: Redis;
let kafka: Kafka;
let producer: Producer;
let reader: Consumer;
let worker: EnrichWorker;
/** Enriched events by the event_id they were sent with. */
const enriched = new Map<string, EnrichedEvent>();
/** Every enriched event by dedup_key (which does not depend on how event_id is written) and its message text. */
const byDedupKey = new Map<string, { event: EnrichedEvent; text: string }>();
/** Enriched event_ids that are not the documented keyed digest of any sent event_id. */
const unmatched: string[] = [];
const dead: DeadLetter[] = [];
/**
 * "<district>|<stored event_id>" (the documented keyed digest of the sent one) → the sent event_id and
 * the user it was sent with (what the enriched message key must be made of).
 */
const sent = new Map<string, { eventId: string; user: RawMessage['event']['user'] }>();

beforeAll(async () => {
  env = await createTestEnv('enrich_worker');
  config = loadEnrichConfig({
    ...env.env,
    PSEUDONYM_KEY: KEY,
    DISTRICT_TIMEZONES: 'd1=America/Chicago,d2=America/New_York',
    ENRICH_GROUP_ID: `enrich-${env.config.CLICKHOUSE_DATABASE}`,
    ENRICH_RELOAD_INTERVAL_MS: '300',
  });
  redis = new Redis(config.REDIS_URL);
  const logger = createLogger('enrich-test', 'warn');
  kafka = createKafka(config, logger);
  await saveRosterToRedis(redis, config.REDIS_KEY_PREFIX, 'd1', sampleRoster());
  await saveDistrictCatalog(redis, config.REDIS_KEY_PREFIX, 'd1', [
    {
      app_id: 'district-portal',
      name: 'Portal',
      domains: ['portal.d1.example.us'],
      category: 'portal',
    },
  ]);
  producer = await createProducer(kafka);
  worker = await startEnrichWorker({ config, logger, kafka, redis });
  reader = await createConsumer(kafka, `reader-${env.config.CLICKHOUSE_DATABASE}`);
  await reader.subscribe({
    topics: [env.topics.enriched, env.topics.dlq],
    fromBeginning: true,
  });
  await reader.run({
    eachMessage: async ({ topic, message }) => {
      const value = JSON.parse(message.value!.toString());
      if (topic === env.topics.enriched) {
        const e = enrichedEventSchema.parse(value);
        byDedupKey.set(e.dedup_key, { event: e, text: message.value!.toString() });
        const s = sent.get(`${e.district_id}|${e.event_id}`);
        if (s === undefined) {
          unmatched.push(e.event_id);
          return;
        }
        expect(message.key?.toString()).toBe(senderPartitionKey(KEY, e.district_id, s.user));
        enriched.set(s.eventId, e);
      } else dead.push(deadLetterSchema.parse(value));
    },
  });
}, 120_000);

afterAll(async () => {
  await reader?.disconnect();
  await worker?.stop();
  await producer?.disconnect();
  redis?.disconnect();
  await env?.cleanup();
});

async function send(messages: (RawMessage | string)[]): Promise<void> {
  for (const m of messages) {
    if (typeof m === 'string') continue;
    const { district_id: district, source, event_id: eventId, user } = m.event;
    sent.set(`${district}|${documentedEventId(KEY, district, source, eventId)}`, { eventId, user });
  }
  await producer.send({
    topic: env.topics.raw,
    acks: -1,
    messages: messages.map((m) => ({
      key: typeof m === 'string' ? 'bad' : userPartitionKey(m.event),
      value: typeof m === 'string' ? m : JSON.stringify(m),
    })),
  });
}

const waitForEvents = (ids: string[]) =>
  waitFor(
    async () => ids.filter((id) => !enriched.has(id)),
    (missing) => missing.length === 0,
    { timeoutMs: 60_000, what: 'enriched events' },
  );

describe('enrich worker round trip (real Kafka + Redis)', () => {
  it('enriches people, apps, classes, local dates and campus; sends invalid input to the DLQ', async () => {
    const events = [
      raw({
        event_id: 'w-inferred',
        occurred_at: '2025-01-15T18:00:00Z',
        user: { email: 'amy.pond@district.org' },
        app: { url: 'https://www.khanacademy.org/math' },
        client_ip: '10.1.4.4',
      }),
      raw({
        event_id: 'w-explicit',
        occurred_at: '2025-01-15T18:00:00Z',
        user: { sourced_id: 'stu2' },
        app: { domain: 'youtube.com' },
        class_id: 'sci2',
        client_ip: '73.12.1.1',
      }),
      raw({
        event_id: 'w-none',
        occurred_at: '2025-01-15T18:00:00Z',
        user: { sourced_id: 'stu2' },
        app: { app_id: 'khan-academy' },
      }),
      raw({
        event_id: 'w-unresolved',
        occurred_at: '2025-01-16T04:30:00Z',
        user: { username: 'Visitor7' },
        app: { url: 'https://games.example.com/play' },
        type: 'page_view',
      }),
      raw({
        event_id: 'w-district-app',
        occurred_at: '2025-01-16T06:30:00Z',
        user: { sourced_id: 'tch1' },
        app: { domain: 'portal.d1.example.us' },
        type: 'login',
      }),
      raw({
        event_id: 'w-d2',
        district_id: 'd2',
        occurred_at: '2025-01-16T04:30:00Z',
        user: { email: 'someone@d2.org' },
        app: { domain: 'ixl.com' },
        active_seconds: 90.4,
      }),
    ];
    await send([...events, '{"v":1,"event":', JSON.stringify({ v: 1, event: { event_id: 'x' } })]);
    await waitForEvents(events.map((e) => e.event.event_id));

    expect(enriched.get('w-inferred')).toMatchObject({
      person_id: documentedPseudonym(KEY, 'd1', 'stu1'),
      person_resolved: true,
      role: 'student',
      app_id: 'khan-academy',
      app_resolved: true,
      app_domain: 'khanacademy.org',
      class_id: 'math1',
      class_attribution: 'inferred',
      school_id: 'sch1',
      campus: 'on',
      local_date: '2025-01-15',
      counts_minute: true,
    });
    expect(enriched.get('w-explicit')).toMatchObject({
      class_id: 'sci2',
      class_attribution: 'explicit',
      school_id: 'sch2',
      campus: 'off',
      app_id: 'youtube',
    });
    expect(enriched.get('w-none')).toMatchObject({
      class_id: null,
      class_attribution: 'none',
      school_id: null,
    });
    // 04:30 UTC on the 16th is the evening of the 15th in Chicago.
    expect(enriched.get('w-unresolved')).toMatchObject({
      person_resolved: false,
      role: 'unknown',
      person_id: documentedPseudonym(KEY, 'd1', 'visitor7'),
      app_id: 'domain:games.example.com',
      app_resolved: false,
      local_date: '2025-01-15',
      campus: 'unknown',
    });
    expect(enriched.get('w-district-app')).toMatchObject({
      app_id: 'district-portal',
      app_resolved: true,
      local_date: '2025-01-16',
      explicit_seconds: 0,
      counts_minute: false,
      role: 'teacher',
    });
    // d2 has no roster and lives in New York: 04:30 UTC is 23:30 on the 15th there.
    expect(enriched.get('w-d2')).toMatchObject({
      person_resolved: false,
      app_id: 'ixl',
      local_date: '2025-01-15',
      explicit_seconds: 90,
      counts_minute: false,
    });
    expect(enriched.get('w-inferred')?.raw.topic).toBe(env.topics.raw);
    expect(unmatched).toEqual([]);

    await waitFor(
      async () => dead.length,
      (n) => n >= 2,
      { what: 'dead letters' },
    );
    expect(dead.map((d) => [d.stage, d.reason.code]).sort()).toEqual([
      ['enrich', 'invalid_field'],
      ['enrich', 'malformed_json'],
    ]);
  }, 90_000);

  it('writes a keyed event_id, never the sent one, even when the sender derived it from an email', async () => {
    // The Google Classroom adapter's id: an unkeyed sha256 of the person's email and the instant.
    const occurredAt = '2025-01-15T18:00:00.000Z';
    const email = 'amy.pond@district.org';
    const digest = createHash('sha256').update(`${email}\u001f${occurredAt}`).digest('hex');
    const classroomId = `google-classroom:${digest}`;
    const event = raw({
      event_id: classroomId,
      source: 'import',
      occurred_at: occurredAt,
      user: { email },
      app: { app_id: 'google-classroom' },
    });
    await send([event]);
    // Found by dedup_key, so a worker that writes the sent id fails here rather than timing out.
    const dedupKey = documentedDedupKey(KEY, 'd1', 'import', email, classroomId);
    const out = await waitFor(
      async () => byDedupKey.get(dedupKey),
      (e) => e !== undefined,
      { timeoutMs: 60_000, what: 'the Classroom event on usage.enriched' },
    );
    expect(out!.event.event_id).not.toBe(classroomId);
    expect(out!.event.event_id).toBe(documentedEventId(KEY, 'd1', 'import', classroomId));
    expect(out!.text).not.toContain(digest);
    expect(out!.text).not.toContain(email);
    expect(enriched.get(classroomId)).toBe(out!.event);
    expect(unmatched).toEqual([]);
  }, 90_000);

  it('commits raw offsets once the enriched output is acknowledged', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(env.topics.raw);
      const total = ends.reduce((s, p) => s + Number(p.high), 0);
      expect(total).toBeGreaterThan(0);
      const committed = await waitFor(
        async () => {
          const [committed] = await admin.fetchOffsets({
            groupId: config.ENRICH_GROUP_ID,
            topics: [env.topics.raw],
          });
          return (committed?.partitions ?? []).reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
        },
        (n) => n === total,
        { what: 'committed offsets', timeoutMs: 30_000 },
      );
      // Every raw message was committed, and not one past what exists.
      expect(committed).toBe(total);
    } finally {
      await admin.disconnect();
    }
  }, 60_000);

  it('picks up a re-imported roster without restart', async () => {
    const data = sampleRoster();
    data.users.set('stu9', {
      sourcedId: 'stu9',
      status: 'active',
      enabled: true,
      role: 'student',
      username: 'newbie',
      email: null,
      orgSourcedIds: ['sch2'],
      grades: ['06'],
    });
    const before = worker.registry.rosterVersion('d1');
    const { version } = await saveRosterToRedis(redis, config.REDIS_KEY_PREFIX, 'd1', data);
    await waitFor(
      async () => worker.registry.rosterVersion('d1'),
      (v) => v === version && v !== before,
      { what: 'roster reload' },
    );
    await send([
      raw({
        event_id: 'w-after-reload',
        user: { username: 'NEWBIE' },
        app: { domain: 'ixl.com' },
      }),
    ]);
    await waitForEvents(['w-after-reload']);
    expect(enriched.get('w-after-reload')).toMatchObject({
      person_resolved: true,
      person_id: documentedPseudonym(KEY, 'd1', 'stu9'),
      school_id: 'sch2',
    });
  }, 60_000);

  it('counts events and consumer progress in its metrics registry', async () => {
    const text = await worker.metrics.registry.metrics();
    expect(text).toMatch(/enrich_events_total\{outcome="enriched"\} \d+/);
    expect(text).toMatch(/enrich_unresolved_total\{kind="person"\}/);
    expect(text).toMatch(/edusage_consumer_batches_total\{group="[^"]+",topic="[^"]+usage\.raw"\} [1-9]/);
    // The last enriched event is readable before the worker's batch ends (ack, commit): lag turns 0 then.
    const health = await waitFor(
      async () => worker.health.check(),
      (h) => h.ok && (h.detail as { lag?: number }).lag === 0,
      { what: 'lag 0 once the last batch ended' },
    ).catch(() => worker.health.check());
    expect(health).toMatchObject({ ok: true, detail: { lag: 0 } });
  });
});
