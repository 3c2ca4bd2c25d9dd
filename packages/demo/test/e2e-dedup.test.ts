/**
 * The duplicate rule end to end (ingest → enrich → aggregate → ClickHouse, docs/ARCHITECTURE.md
 * "Duplicate events"): a re-sent event is stored once however late it comes back (the window is as long
 * as the events are kept), two people whose events carry the same event_id are two events, and a bad
 * input sent twice is one dead letter in the report.
 */
import { Redis } from 'ioredis';
import { sqlString } from '@edusage/clickhouse';
import { enrichedEventId } from '@edusage/enrich';
import { deadLetterSummary } from '@edusage/reports';
import { countRows, DISTRICT, PSEUDONYM_KEY, setupE2E, type E2E } from './support/e2e';

jest.setTimeout(240_000);

const DAY_MS = 86_400_000;

function nativeEvent(eventId: string, user: string, occurredAt: Date): Record<string, unknown> {
  return {
    event_id: eventId,
    occurred_at: occurredAt.toISOString(),
    district_id: DISTRICT,
    source: 'agent',
    type: 'use',
    user: { sourced_id: user },
    app: { domain: 'dedup-test.example.org' },
    active_seconds: 120,
  };
}

async function post(e2e: E2E, items: unknown[]): Promise<number> {
  const res = await fetch(`${e2e.pipeline.ingestUrl}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${e2e.keys.agent}`, 'content-type': 'application/x-ndjson' },
    body: items.map((i) => (typeof i === 'string' ? i : JSON.stringify(i))).join('\n'),
  });
  await res.arrayBuffer();
  return res.status;
}

/**
 * What the passing of `days` does to Redis: every key under the suite's prefix that would have expired
 * by then is gone. (Redis keys without an expiry, such as the roster, stay.)
 */
async function letDaysPass(redisUrl: string, prefix: string, days: number): Promise<number> {
  const redis = new Redis(redisUrl);
  let expired = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const ttl = await redis.pttl(key);
        if (ttl > 0 && ttl <= days * DAY_MS) expired += await redis.del(key);
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return expired;
}

describe('end to end: the duplicate rule', () => {
  let e2e: E2E;

  beforeAll(async () => {
    e2e = await setupE2E('e2e_dedup');
  });

  afterAll(async () => {
    await e2e?.teardown();
  });

  // usage_events holds enrich's keyed digest of the sent event_id (`enrichedEventId`), never the id itself.
  const stored = (sentId: string) =>
    countRows(
      e2e.ch,
      'usage_events',
      `event_id = ${sqlString(enrichedEventId(PSEUDONYM_KEY, DISTRICT, 'agent', sentId))}`,
    );

  it('stores an event re-sent in a later batch once', async () => {
    const event = nativeEvent('resent-1', 'dedup-user-1', new Date(Date.now() - 3_600_000));
    expect(await post(e2e, [event])).toBe(202);
    await e2e.drain();
    expect(await post(e2e, [event, nativeEvent('resent-2', 'dedup-user-1', new Date())])).toBe(202);
    await e2e.drain();
    expect(await stored('resent-1')).toBe(1);
    expect(await stored('resent-2')).toBe(1);
    // The sent ids themselves are not stored (a sender's id may be made of personal data).
    expect(await countRows(e2e.ch, 'usage_events', "event_id IN ('resent-1', 'resent-2')")).toBe(0);
  });

  it('counts the same event_id from two different users of one source as two events', async () => {
    const at = new Date(Date.now() - 7_200_000);
    expect(await post(e2e, [nativeEvent('shared-id-1', 'dedup-user-a', at)])).toBe(202);
    expect(await post(e2e, [nativeEvent('shared-id-1', 'dedup-user-b', at)])).toBe(202);
    await e2e.drain();
    expect(await stored('shared-id-1')).toBe(2);
  });

  it('recognises a re-import of last semester long after the first import', async () => {
    const semesterAgo = new Date(Date.now() - 150 * DAY_MS);
    const old = [1, 2, 3].map((i) => nativeEvent(`semester-${i}`, `dedup-user-${i}`, semesterAgo));
    expect(await post(e2e, old)).toBe(202);
    await e2e.drain();
    // The re-import comes months later: whatever would have expired by then has expired.
    await letDaysPass(e2e.env.config.REDIS_URL, e2e.env.config.REDIS_KEY_PREFIX, 120);
    expect(await post(e2e, old)).toBe(202);
    await e2e.drain();
    for (const i of [1, 2, 3]) expect(await stored(`semester-${i}`)).toBe(1);
  });

  it('counts a bad input that a client re-sends as one dead letter', async () => {
    const bad = { ...nativeEvent('bad-1', 'dedup-user-1', new Date()), user: {} };
    expect(await post(e2e, [bad])).toBe(422);
    expect(await post(e2e, [bad])).toBe(422);
    await e2e.drain();
    // Both copies are kept as they came (the audit trail), but the report counts the input once.
    expect(await countRows(e2e.ch, 'dead_letters', "stage = 'ingest'")).toBe(2);
    const summary = await deadLetterSummary(e2e.ch, DISTRICT);
    expect(summary.filter((s) => s.stage === 'ingest')).toEqual([
      { stage: 'ingest', source: 'agent', reason_code: expect.any(String) as string, count: 1 },
    ]);
  });
});
