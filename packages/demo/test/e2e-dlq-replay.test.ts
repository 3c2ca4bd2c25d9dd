/**
 * Dead-letter replay on the real services: letters that an older version refused (here written to
 * usage.dlq as that version wrote them) are re-sent with `dlq replay` once their cause is fixed, their
 * events reach usage_events and the rollups, and a second replay changes nothing (the events keep
 * their ids, so the downstream duplicate removal drops the copies). Letters that still fail, or that
 * cannot be read alone (a CSV row), are counted and left alone; the filters select by district and reason.
 */
import { makeDeadLetter, type DeadLetter } from '@edusage/contracts';
import { createProducer, produceJson } from '@edusage/kafka';
import { queryRows, sqlList, sqlString } from '@edusage/clickhouse';
import { enrichedEventId } from '@edusage/enrich';
import { runServiceCli } from '../src/cli-run';
import { DISTRICT, PSEUDONYM_KEY, TIMEZONE, countRows, readRollups, setupE2E, type E2E } from './support/e2e';

jest.setTimeout(180_000);

interface ReplaySummaryJson {
  read: number;
  selected: number;
  replayed: number;
  events: number;
  stillRejected: Record<string, number>;
  notReplayable: Record<string, number>;
}

describe('dlq replay', () => {
  let e2e: E2E;
  const now = Date.now() - 2 * 3_600_000;
  const at = new Date(now).toISOString();
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: TIMEZONE }).format(new Date(now));
  const failedAt = new Date(now + 60_000);

  beforeAll(async () => {
    e2e = await setupE2E('e2e_dlq_replay');
  });
  afterAll(async () => {
    await e2e?.teardown();
  });

  const native = (id: string, user: Record<string, string>, seconds: number) => ({
    event_id: `replay-${id}`,
    occurred_at: at,
    type: 'use',
    user,
    app: { app_id: 'google-docs' },
    active_seconds: seconds,
  });
  const letter = (over: Partial<Parameters<typeof makeDeadLetter>[0]>): DeadLetter =>
    makeDeadLetter({
      stage: 'ingest',
      source: 'agent',
      districtId: DISTRICT,
      reason: { code: 'unsupported_event', message: 'refused by an older adapter' },
      payload: {},
      inputFormat: 'native',
      now: failedAt,
      ...over,
    });

  it('re-sends what now passes once in effect, and leaves the rest counted', async () => {
    const letters: DeadLetter[] = [
      letter({ payload: native('a', { sourced_id: 'stu-000001' }, 120) }),
      letter({ payload: native('b', { sourced_id: 'stu-000001' }, 60) }),
      letter({ payload: native('c', { sourced_id: 'stu-000002' }, 30) }),
      // Still wrong today: no person at all.
      letter({ payload: { ...native('d', {}, 10) } }),
      // A CSV row cannot be read without its file's header.
      letter({ stage: 'import', source: 'import', payload: 'replay-e,2026-01-01T00:00:00Z,use', inputFormat: 'csv' }),
      // Not selected: another district, another reason.
      letter({ districtId: 'd2', payload: native('f', { sourced_id: 'stu-000001' }, 5) }),
      letter({
        reason: { code: 'invalid_field', message: 'x' },
        payload: native('g', { sourced_id: 'stu-000001' }, 5),
      }),
    ];
    // usage_events holds enrich's keyed digest of each sent event_id (`enrichedEventId`), not the id:
    // the stored id of every letter's event, by district and source as the letter has them, back to its sent id.
    const sentIdOf = new Map<string, string>();
    for (const l of letters) {
      if (l.input_format !== 'native' || l.district_id === null) continue;
      const sent = (JSON.parse(l.payload) as { event_id: string }).event_id;
      sentIdOf.set(enrichedEventId(PSEUDONYM_KEY, l.district_id, l.source, sent), sent);
    }
    expect([...sentIdOf.values()].sort()).toEqual([
      'replay-a',
      'replay-b',
      'replay-c',
      'replay-d',
      'replay-f',
      'replay-g',
    ]);
    const replayIds = `event_id IN ${sqlList([...sentIdOf.keys()], sqlString)}`;

    const producer = await createProducer(e2e.kafka);
    await produceJson(
      producer,
      e2e.env.topics.dlq,
      letters.map((l) => ({ key: l.source, value: l })),
    );
    await producer.disconnect();

    const replay = async () =>
      JSON.parse(
        await runServiceCli(
          'ingest',
          ['dlq', 'replay', '--district', DISTRICT, '--reason', 'unsupported_event', '--json'],
          e2e.serviceEnv,
        ),
      ) as ReplaySummaryJson;
    const expected = {
      selected: 5,
      replayed: 3,
      events: 3,
      stillRejected: { missing_identifier: 1 },
    };

    const dry = JSON.parse(
      await runServiceCli(
        'ingest',
        ['dlq', 'replay', '--district', DISTRICT, '--reason', 'unsupported_event', '--dry-run', '--json'],
        e2e.serviceEnv,
      ),
    ) as ReplaySummaryJson;
    expect(dry).toMatchObject(expected);
    await e2e.drain();
    expect(await countRows(e2e.ch, 'usage_events', replayIds)).toBe(0);

    const first = await replay();
    expect(first).toMatchObject(expected);
    expect(first.read).toBeGreaterThanOrEqual(letters.length);
    expect(Object.keys(first.notReplayable)).toEqual([expect.stringMatching(/csv.*import the file again/)]);
    await e2e.drain();

    const stored = await queryRows<{ event_id: string; explicit_seconds: number }>(
      e2e.ch,
      `SELECT event_id, explicit_seconds FROM usage_events WHERE ${replayIds}`,
    );
    const bySentId = stored
      .map((r) => ({ ...r, event_id: sentIdOf.get(r.event_id) ?? `unknown stored id ${r.event_id}` }))
      .sort((a, b) => a.event_id.localeCompare(b.event_id));
    expect(bySentId).toEqual([
      { event_id: 'replay-a', explicit_seconds: 120 },
      { event_id: 'replay-b', explicit_seconds: 60 },
      { event_id: 'replay-c', explicit_seconds: 30 },
    ]);
    const cell = async () =>
      (await readRollups(e2e.ch, DISTRICT, { from: today, to: today })).district.get(`${today}|google-docs|student`);
    expect(await cell()).toEqual({
      events: 3,
      activeUsers: 2,
      explicitSeconds: 210,
      activeMinutes: 0,
      engagedSeconds: 210,
      unresolvedPersonEvents: 0,
    });

    // Again: the same letters are re-sent, and nothing downstream changes.
    const second = await replay();
    expect(second).toMatchObject(expected);
    await e2e.drain();
    expect(await countRows(e2e.ch, 'usage_events', replayIds)).toBe(3);
    expect(await countRows(e2e.ch, 'usage_events')).toBe(3); // and nothing else (the suite's own database)
    expect((await cell())?.events).toBe(3);
  });

  it('summarizes the letters on the topic by stage, source and reason', async () => {
    const rows = JSON.parse(
      await runServiceCli('ingest', ['dlq', 'summary', '--district', DISTRICT, '--json'], e2e.serviceEnv),
    ) as { stage: string; source: string; reason: string; count: number }[];
    expect(rows).toEqual([
      { stage: 'ingest', source: 'agent', reason: 'unsupported_event', count: 4 },
      { stage: 'import', source: 'import', reason: 'unsupported_event', count: 1 },
      { stage: 'ingest', source: 'agent', reason: 'invalid_field', count: 1 },
    ]);
  });
});
