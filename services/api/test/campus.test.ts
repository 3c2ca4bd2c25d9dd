/**
 * /v1/usage/campus on the real ClickHouse: events and engaged seconds on / off campus / unknown, read
 * from the stored events. Expectations are counted by hand from the harness seed (dA: pA1, pA2 and the
 * teacher pA5 use appa1 on campus; pA3, pA4 off campus, as are all appa2 page views; pA6's domain
 * events are unknown), and the three rows must add up to the rollups' events of the same period, also
 * after a row is stored twice (a sink crash) and after a late-roster revision changed an event's campus.
 */
import { insertRows, queryRows } from '@edusage/clickhouse';
import { usageEventRow } from '@edusage/aggregate';
import { DAYS, enriched, PERIOD, seedEvents, startHarness, type Harness } from './harness';

jest.setTimeout(120_000);

interface CampusRow {
  campus: string;
  events: number;
  engaged_seconds: number;
  events_share: number | null;
  engaged_share: number | null;
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness('api_campus');
}, 180_000);
afterAll(async () => h?.close());

const Q = `from=${PERIOD.from}&to=${PERIOD.to}`;

async function campus(token = h.tokens.admin, q = Q): Promise<CampusRow[]> {
  const r = await h.get(`/v1/usage/campus?${q}`, token);
  expect(r.status).toBe(200);
  return (r.json as { rows: CampusRow[] }).rows;
}

async function rollupEvents(token = h.tokens.admin): Promise<number> {
  const r = await h.get(`/v1/usage/district?${Q}`, token);
  return (r.json as { rows: { events: number }[] }).rows.reduce((t, x) => t + x.events, 0);
}

const byCampus = (rows: CampusRow[]) => Object.fromEntries(rows.map((r) => [r.campus, [r.events, r.engaged_seconds]]));

test('on, off and unknown as counted by hand; they add up to the rollups', async () => {
  const rows = await campus();
  expect(rows.map((r) => r.campus)).toEqual(['on', 'off', 'unknown']);
  // Three days. On: pA1 (300 s) + pA2 (600 s) + the teacher (60 s) a day, 3 events a day.
  // Off: pA3 (900 s) + pA4 (1200 s) a day, and six appa2 page views of one minute each.
  // Unknown: pA6's three page views.
  expect(byCampus(rows)).toEqual({
    on: [9, 3 * (300 + 600 + 60)],
    off: [6 + 6, 3 * (900 + 1200) + 6 * 60],
    unknown: [3, 3 * 60],
  });
  expect(rows[0]!.events_share).toBeCloseTo(9 / 24, 10);
  expect(rows[2]!.engaged_share).toBeCloseTo(180 / (2880 + 6660 + 180), 10);
  expect(rows.reduce((t, r) => t + r.events, 0)).toBe(await rollupEvents());
  // District B's events (all unknown) are not in A's answer, and B gets its own.
  expect(byCampus(await campus(h.tokens.foreign))).toEqual({ on: [0, 0], off: [0, 0], unknown: [6, 3 * 120 + 3 * 60] });
});

test('a row stored twice counts once; the latest revision of an event decides its campus', async () => {
  const seed = seedEvents();
  const at = (i: number) => ({ topic: 'seed.enriched', partition: 0, offset: String(i) });
  const row = (i: number) => usageEventRow(enriched(seed[i]!, i), at(i), '2026-09-17 00:00:00');
  // pA1's appa1 event of the first day, stored again (as after a crash between the INSERT and the commit).
  const twice = seed.findIndex((e) => e.person === 'pA1' && e.day === DAYS[0] && e.app === 'appa1');
  await insertRows(h.ch, 'usage_events', [row(twice)]);
  const [stored] = await queryRows<{ n: string }>(
    h.ch,
    `SELECT count() AS n FROM usage_events WHERE kafka_topic = 'seed.enriched' AND kafka_offset = ${twice}`,
  );
  expect(Number(stored!.n)).toBe(2);
  // The teacher's first-day event (on campus, 60 s) gets two revisions; the newer says off campus.
  const revised = seed.findIndex((e) => e.person === 'pA5' && e.day === DAYS[0]);
  const revision = (n: number, c: 'on' | 'off') => ({
    ...row(revised),
    campus: c,
    revision: n,
    roster_version: `r${n}`,
    revised_at: '2026-09-17 01:00:00',
  });
  await insertRows(h.ch, 'usage_event_revisions', [revision(2, 'off'), revision(1, 'on')]);

  const rows = await campus();
  expect(byCampus(rows)).toEqual({
    on: [8, 3 * (300 + 600) + 2 * 60],
    off: [13, 3 * (900 + 1200) + 6 * 60 + 60],
    unknown: [3, 180],
  });
  expect(rows.reduce((t, r) => t + r.events, 0)).toBe(await rollupEvents());
});

test('a period over several months is their sum (each month read on its own)', async () => {
  const seed = seedEvents();
  // pA1's on-campus appa1 use (300 s) once more, on a day of October, at an offset of its own.
  const i = 10_000;
  const october = { ...seed.find((e) => e.person === 'pA1' && e.app === 'appa1')!, day: '2026-10-05' };
  const at = { topic: 'seed.enriched', partition: 0, offset: String(i) };
  await insertRows(h.ch, 'usage_events', [usageEventRow(enriched(october, i), at, '2026-10-06 00:00:00')]);
  const inOctober = byCampus(await campus(h.tokens.admin, 'from=2026-10-01&to=2026-10-31'));
  expect(inOctober).toEqual({ on: [1, 300], off: [0, 0], unknown: [0, 0] });
  const september = byCampus(await campus(h.tokens.admin, 'from=2026-09-01&to=2026-09-30'));
  const both = byCampus(await campus(h.tokens.admin, 'from=2026-08-20&to=2026-10-31'));
  for (const c of ['on', 'off', 'unknown'])
    expect(both[c]).toEqual([0, 1].map((k) => september[c]![k]! + inOctober[c]![k]!));
});

test('a period without events: three zero rows, no shares', async () => {
  const rows = await campus(h.tokens.director, 'from=2025-01-01&to=2025-01-31');
  expect(rows).toEqual(
    ['on', 'off', 'unknown'].map((c) => ({
      campus: c,
      events: 0,
      engaged_seconds: 0,
      events_share: null,
      engaged_share: null,
    })),
  );
});
