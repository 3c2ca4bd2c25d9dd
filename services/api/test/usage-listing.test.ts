/**
 * A usage window that one compacted month's rows answer alone comes from ClickHouse as the JSON text of
 * the finished rows (reports' usageListing), spliced into the API's answer unparsed. It must be the rows
 * the report functions build, in their order: leading keys in byte order, then most people, most
 * events, app id. October here is made of ties for each of those rules.
 */
import { insertRows, queryJsonArray } from '@edusage/clickhouse';
import { deriveRollups, usageEventRow } from '@edusage/aggregate';
import {
  classAppUsage,
  classAppUsageListing,
  districtAppUsage,
  districtAppUsageListing,
  schoolAppUsage,
  schoolAppUsageListing,
  type JsonRows,
  type UsageListing,
} from '@edusage/reports';
import { asOfCompactions, compactRollups, readCompactionState } from '@edusage/rollups';
import { enriched, startHarness, type Harness, type SeedEvent } from './harness';

const OCTOBER = { districtId: 'dA', from: '2026-10-01', to: '2026-10-31' };
const Q = `from=${OCTOBER.from}&to=${OCTOBER.to}&freshness=compacted`;

/** [school, class, app, people, events a person]: the rows the October answers must order. */
const USE: [string, string, string, number, number][] = [
  // One class: most people first (appQ), then most events (appE), then ties by app id (appA, appM, appZ).
  ['sA1', 'cB', 'appZ', 1, 1],
  ['sA1', 'cB', 'appA', 1, 1],
  ['sA1', 'cB', 'appQ', 2, 1],
  ['sA1', 'cB', 'appM', 1, 1],
  ['sA1', 'cB', 'appE', 1, 3],
  // An id ClickHouse writes escaped ('/' as '\/') and one beyond ASCII: the same values once parsed.
  ['sA1', 'cB', 'app/ü', 1, 2],
  // Classes and schools in byte order ('cA' < 'cB', 'sA10' < 'sA2'), whatever the app figures.
  ['sA1', 'cA', 'appZ', 1, 1],
  ['sA2', 'c1', 'appA', 3, 2],
  ['sA10', 'c9', 'appM', 1, 1],
];

function octoberEvents(): SeedEvent[] {
  const events: SeedEvent[] = [];
  USE.forEach(([school, cls, app, people, each], u) => {
    for (let p = 0; p < people; p++)
      for (let e = 0; e < each; e++)
        events.push({
          district: 'dA',
          day: e % 2 === 0 ? '2026-10-05' : '2026-10-06',
          minute: e,
          person: `pOct${u}-${p}`,
          role: 'student',
          school,
          class: cls,
          app,
          appResolved: true,
          personResolved: true,
          // Odd lines are page views: person-minutes, not explicit seconds.
          seconds: u % 2 === 1 ? 0 : 60 * (u + 1),
        });
  });
  return events;
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness('api_listing', { API_RATE_LIMIT: '100000' });
  // Beside the harness' September, on a topic of their own (offsets from 0), then both months compacted.
  const topic = 'listing.enriched';
  const rows = octoberEvents().map((e, i) =>
    usageEventRow(enriched(e, 100_000 + i), { topic, partition: 0, offset: String(i) }, '2026-10-07 00:00:00'),
  );
  await insertRows(h.ch, 'usage_events', rows);
  await deriveRollups(h.ch, topic, 0, BigInt(rows.length));
  await compactRollups(h.ch);
}, 180_000);
afterAll(async () => h?.close());

test('a month read from its month rows alone comes as JSON text: the report rows, in their order', async () => {
  const as = { rollups: asOfCompactions(await readCompactionState(h.ch)) };
  const sA1 = { schoolId: 'sA1' };
  const listed: [string, UsageListing<unknown>, unknown[]][] = [
    ['district', await districtAppUsageListing(h.ch, OCTOBER, {}, as), await districtAppUsage(h.ch, OCTOBER, {}, as)],
    ['schools', await schoolAppUsageListing(h.ch, OCTOBER, {}, as), await schoolAppUsage(h.ch, OCTOBER, {}, as)],
    ['classes', await classAppUsageListing(h.ch, OCTOBER, {}, as), await classAppUsage(h.ch, OCTOBER, {}, as)],
    ['sA1', await classAppUsageListing(h.ch, OCTOBER, sA1, as), await classAppUsage(h.ch, OCTOBER, sA1, as)],
  ];
  // September (the harness' seed) is older than the newest compacted month: its read starts beside the plan.
  const september = { districtId: 'dA', from: '2026-09-01', to: '2026-09-30' };
  listed.push([
    'September',
    await classAppUsageListing(h.ch, september, {}, as),
    await classAppUsage(h.ch, september, {}, as),
  ]);
  for (const [name, listing, rows] of listed) {
    expect([name, Array.isArray(listing)]).toEqual([name, false]);
    const text = listing as JsonRows<unknown>;
    const parsed = JSON.parse(text.json) as Record<string, unknown>[];
    expect([name, parsed, text.rows]).toEqual([name, rows, rows.length]);
    // toEqual ignores the order of keys; the answer's columns (and CSV's) follow it.
    expect([name, Object.keys(parsed[0]!)]).toEqual([name, Object.keys(rows[0]!)]);
  }
  // The order the rules give, written out (not taken from the code under test).
  const classes = (listed[2]![2] as { school_id: string; class_id: string; app_id: string }[]).map(
    (r) => `${r.school_id}/${r.class_id}/${r.app_id}`,
  );
  expect(classes).toEqual([
    'sA1/cA/appZ',
    'sA1/cB/appQ',
    'sA1/cB/appE',
    'sA1/cB/app/ü',
    'sA1/cB/appA',
    'sA1/cB/appM',
    'sA1/cB/appZ',
    'sA10/c9/appM',
    'sA2/c1/appA',
  ]);
  const cell = (listed[2]![2] as Record<string, unknown>[])[1];
  expect(JSON.parse((listed[2]![1] as JsonRows<unknown>).json)).toContainEqual(
    expect.objectContaining({ class_id: 'cB', app_id: 'app/ü', events: 2 }),
  );
  // appQ: 2 people, an event each, 60 s × its 3rd line each; one active day.
  expect(cell).toEqual({
    school_id: 'sA1',
    class_id: 'cB',
    app_id: 'appQ',
    active_users: 2,
    events: 2,
    engaged_seconds: 2 * 180,
    active_days: 1,
  });
});

test('over HTTP the spliced answer is the same JSON as the rows with their meta, and the same CSV', async () => {
  const as = { rollups: asOfCompactions(await readCompactionState(h.ch)) };
  const r = await h.get(`/v1/usage/classes?${Q}`, h.tokens.director);
  expect(r.status).toBe(200);
  expect(String(r.headers['content-type'])).toMatch(/^application\/json/);
  const answer = r.json as { rows: unknown[] } & Record<string, unknown>;
  expect(answer.rows).toEqual(await classAppUsage(h.ch, OCTOBER, {}, as));
  expect(answer).toMatchObject({ district_id: 'dA', from: OCTOBER.from, to: OCTOBER.to, freshness: 'compacted' });
  const csv = await h.get(`/v1/usage/classes?${Q}&format=csv`, h.tokens.director);
  expect(csv.status).toBe(200);
  const lines = csv.body.trim().split('\n');
  expect(lines[0]).toBe('school_id,class_id,app_id,active_users,events,engaged_seconds,active_days');
  expect(lines.slice(1)).toEqual((answer.rows as Record<string, unknown>[]).map((row) => Object.values(row).join(',')));
  // A school token is still confined to its school on this path.
  const school = await h.get(`/v1/usage/classes?${Q}`, h.tokens.school);
  expect(school.status).toBe(200);
  const schools = new Set((school.json as { rows: { school_id: string }[] }).rows.map((x) => x.school_id));
  expect([...schools]).toEqual(['sA1']);
});

test('queryJsonArray: no rows, escaped strings, and an error after some rows is thrown, not sent as rows', async () => {
  expect(await queryJsonArray(h.ch, 'SELECT 1 AS x WHERE 0')).toEqual({ json: '[]', rows: 0 });
  const text = await queryJsonArray(h.ch, "SELECT 'a/b\\nc\\t\"é' AS s UNION ALL SELECT '' AS s");
  expect(text.rows).toBe(2);
  expect((JSON.parse(text.json) as { s: string }[]).map((r) => r.s).sort()).toEqual(['', 'a/b\nc\t"é']);
  // 18.16 appends the error to an answer already under way (status 200): rows sent before it must not pass.
  await expect(
    queryJsonArray(h.ch, 'SELECT number AS n, throwIf(number = 300000) AS t FROM system.numbers LIMIT 400000'),
  ).rejects.toThrow(/ended in an error after some rows: .*throwIf/);
});
