/**
 * `roster reresolve` never attributes an event to an erased person (docs/ARCHITECTURE.md "Erasing a
 * person"), on real Kafka, ClickHouse and Redis: two students' events were stored unresolved (sent by
 * email while the roster lacked them); one of them was erased by sourcedId, which names their email's
 * pseudonym only when the roster knows it, so those stored events stay under the email's pseudonym
 * (a documented limit). When the full roster arrives, the run re-attributes the other student's event
 * and not the erased one's.
 */
import { Redis } from 'ioredis';
import { createClickHouse, queryRows, insertRows, type ClickHouseClient } from '@edusage/clickhouse';
import { usageEventRow } from '@edusage/aggregate';
import { createKafka, createProducer } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import type { RawMessage } from '@edusage/contracts';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { enrichEvent, pseudonymize, recordRequest, reresolveDistrict, RosterIndex, saveRosterToRedis } from '../src';
import { KEY, raw, sampleRoster, sampleView } from './helpers';

jest.setTimeout(120_000);

let env: TestEnv;
let ch: ClickHouseClient;
let redis: Redis;

beforeAll(async () => {
  env = await createTestEnv('enrich_reresolve_erased');
  ch = createClickHouse(env.config);
  redis = new Redis(env.config.REDIS_URL);
});
afterAll(async () => {
  redis?.disconnect();
  await ch?.close();
  await env?.cleanup();
});

test('an erased student’s unresolved events get no revision; another student’s do', async () => {
  const kafka = createKafka(env.config, createLogger('test', 'error'));
  // The roster the events met had neither student.
  const partial = sampleRoster();
  partial.users.delete('stu1');
  partial.users.delete('stu2');
  const events: RawMessage[] = [
    raw({ user: { email: 'Amy.Pond@district.org' }, app: { domain: 'khanacademy.org' } }), // stu1
    raw({ user: { email: 'rory@district.org' }, app: { domain: 'khanacademy.org' } }), // stu2
  ];
  const producer = await createProducer(kafka);
  try {
    await producer.send({
      topic: env.topics.raw,
      messages: events.map((e) => ({ key: 'd1', value: JSON.stringify(e) })),
    });
  } finally {
    await producer.disconnect();
  }
  const view = sampleView({ roster: new RosterIndex('d1', 'v1', partial, KEY) });
  const rows = events.map((e, i) => {
    const at = { topic: env.topics.enriched, partition: 0, offset: String(i) };
    return usageEventRow(enrichEvent(e, at, view, KEY, '2025-01-15T18:00:02.000Z'), at, '2025-01-15 18:00:03');
  });
  expect(rows.map((r) => r.person_resolved)).toEqual([0, 0]);
  await insertRows(ch, 'usage_events', rows);

  // stu1 erased by sourcedId: their email's pseudonym is not named (the roster did not know it then).
  await recordRequest(
    ch,
    { districtId: 'd1', requestId: '1-00000000', requestedAt: '2025-01-16 08:00:00', finished: 1 },
    [
      {
        named: 'stu1',
        sourcedId: null,
        personIds: [pseudonymize(KEY, 'd1', 'stu1')],
        shared: 0,
        events: 0,
        results: 0,
      },
    ],
  );
  await saveRosterToRedis(redis, env.config.REDIS_KEY_PREFIX, 'd1', sampleRoster(), {}, `${Date.now()}-full`);

  const result = await reresolveDistrict({
    ch,
    kafka,
    redis,
    redisPrefix: env.config.REDIS_KEY_PREFIX,
    pseudonymKey: KEY,
    rawTopic: env.topics.raw,
    districtId: 'd1',
    timeZone: 'America/Chicago',
  });
  expect(result.unresolved).toBe(2);
  expect(result.revised).toBe(1);
  const revised = await queryRows<{ person_id: string }>(ch, 'SELECT person_id FROM usage_event_revisions');
  expect(revised.map((r) => r.person_id)).toEqual([pseudonymize(KEY, 'd1', 'stu2')]);
});
