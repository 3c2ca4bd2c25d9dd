/**
 * `freshness=compacted` (services/api/src/freshness.ts): the usage, license and unresolved endpoints as
 * of the rollup compactions. After a compaction and a later fold, their answers equal the ones from before
 * that fold and the report functions' under asOfCompactions; the live answers have it; a request naming no freshness reads as of
 * the compactions (API_DEFAULT_FRESHNESS, compacted unless set).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { insertRows, queryRows } from '@edusage/clickhouse';
import { deriveRollups, usageEventRow } from '@edusage/aggregate';
import { licenseTableFor } from '@edusage/licenses';
import {
  classAppUsage,
  classAppUsageListing,
  districtAppUsage,
  districtAppUsageListing,
  schoolAppUsage,
  schoolAppUsageListing,
  unresolvedSummary,
  weeklyDistrictUsage,
  type JsonRows,
  type UsageListing,
} from '@edusage/reports';
import { asOfCompactions, CHECKS_TABLE, compactRollups, MONTHS_TABLE, readCompactionState } from '@edusage/rollups';
import { createLogger } from '@edusage/logging';
import { loadApiConfig, startApi } from '@edusage/api';
import { oneCutOfCompactions, readFreshness } from '../src/freshness';
import { DAYS, PERIOD, enriched, seedEvents, startHarness, type Harness } from './harness';

const P = `from=${PERIOD.from}&to=${PERIOD.to}`;
const period = { districtId: 'dA', ...PERIOD };
const WINDOW = 'window=30d&as_of=2026-09-17';
const LICENSES = `/v1/licenses?${WINDOW}`;
/** The endpoints that take `freshness` (the fold below changes every answer). */
const URLS = [
  `/v1/usage/district?${P}`,
  `/v1/usage/schools?${P}`,
  `/v1/usage/classes?${P}`,
  `/v1/usage/weekly?${P}`,
  LICENSES,
  `/v1/licenses/schools?${WINDOW}`,
  `/v1/licenses/findings?${WINDOW}`,
  `/v1/unresolved/apps?${P}`,
];
/** The one such endpoint that answers an object, not a list. */
const UNRESOLVED = `/v1/unresolved?${P}`;
const compacted = (url: string) => `${url}&freshness=compacted`;
const live = (url: string) => `${url}&freshness=live`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness('api_freshness', { API_RATE_LIMIT: '100000' });
}, 180_000);
afterAll(async () => h?.close());

const answer = async (url: string) => {
  const r = await h.get(url, h.tokens.director);
  expect([url, r.status]).toEqual([url, 200]);
  return r.json as { rows: unknown[] } & Record<string, unknown>;
};
const rowsOf = async (url: string) => (await answer(url)).rows;
/** What the pipeline lag (admin) says of the rollup compaction. */
const compactionLag = async () => {
  const r = await h.get('/v1/pipeline/lag', h.tokens.admin);
  expect(r.status).toBe(200);
  return (r.json as { rollup_compaction: Record<string, unknown> }).rollup_compaction;
};

/** Events folded by each `foldMore`. */
const FOLDED = 4;

/**
 * Four more events of dA, stored and folded after the seed's: students new to appa1 in sA1 / cA1, one
 * with an explicit duration, one a page view (a person-minute: the license minutes' path); one of an
 * app no license covers (a new finding); one of an app the catalog lacks (unresolved).
 */
async function foldMore(first = seedEvents().length): Promise<void> {
  // The seed folded offsets 0 … length - 1 of this topic-partition; each call folds the next FOLDED.
  const topic = 'seed.enriched';
  const events = [
    { person: 'pA7', seconds: 600, app: 'appa1' },
    { person: 'pA8', seconds: 0, app: 'appa1' },
    { person: 'pA7', seconds: 300, app: 'appNoLicense' },
    { person: 'pA8', seconds: 0, app: 'domain:new-tool.example', appResolved: false },
  ].map((e, i) =>
    enriched(
      {
        district: 'dA',
        day: DAYS[1]!,
        minute: 45 + i,
        person: e.person,
        role: 'student',
        school: 'sA1',
        class: 'cA1',
        app: e.app,
        appResolved: e.appResolved ?? true,
        personResolved: true,
        seconds: e.seconds,
      },
      first + i,
    ),
  );
  await insertRows(
    h.ch,
    'usage_events',
    events.map((e, i) => usageEventRow(e, { topic, partition: 0, offset: String(first + i) }, '2026-09-17 00:00:00')),
  );
  await deriveRollups(h.ch, topic, 0, BigInt(first + events.length));
}

test('compacted answers are as of the last compaction; live ones have what was folded since', async () => {
  // Nothing compacted yet: a compacted read reads every contribution, and says so.
  const before = await answer(compacted(URLS[0]!));
  expect(before).toMatchObject({ freshness: 'compacted', compactions: [], months_not_compacted: [202609] });
  expect(before.rows).toEqual(await rowsOf(live(URLS[0]!)));
  expect(await answer(live(URLS[0]!))).toMatchObject({ freshness: 'live' });
  // Naming no freshness reads as of the compactions (the default).
  expect(await answer(URLS[0]!)).toEqual(before);
  // The pipeline lag tells an operator the same: no compaction run yet, September waiting.
  expect(await compactionLag()).toEqual({
    last_checked_at: null,
    seconds_since_checked: null,
    months_not_compacted: [202609],
  });

  await compactRollups(h.ch);
  const september = (await readCompactionState(h.ch)).months.get(202609)!;
  const atCompaction = await Promise.all(URLS.map((url) => rowsOf(live(url))));
  const { freshness: _f, ...unresolvedAtCompaction } = await answer(live(UNRESOLVED));
  await foldMore();

  for (const [i, url] of URLS.entries()) {
    const asCompacted = await answer(compacted(url));
    expect([url, asCompacted.rows]).toEqual([url, atCompaction[i]]);
    // The license window (30 days to 09-17) also covers August, which has no rollups.
    expect(asCompacted).toMatchObject({
      freshness: 'compacted',
      compactions: [{ month: 202609, compacted_at: `${september.compactedAt.replace(' ', 'T')}Z` }],
      months_not_compacted: [],
    });
    // The fold since: new people of appa1 in sA1 / cA1 and of L-A1, their seconds and a minute, an
    // app without license.
    expect([url, await rowsOf(live(url))]).not.toEqual([url, atCompaction[i]]);
    // The default is the compacted answer.
    expect([url, await answer(url)]).toEqual([url, asCompacted]);
  }

  // The unresolved counts (an object): as at the compaction, and the same figures live before it.
  const unresolved = await answer(compacted(UNRESOLVED));
  const { freshness: _c, compactions: _cs, months_not_compacted: _m, ...unresolvedCompacted } = unresolved;
  expect(unresolved).toMatchObject({ freshness: 'compacted', compactions: [{ month: 202609 }] });
  expect(unresolvedCompacted).toEqual(unresolvedAtCompaction);
  const { freshness: _l, ...unresolvedLive } = await answer(live(UNRESOLVED));
  expect(unresolvedLive).not.toEqual(unresolvedAtCompaction);

  // The report functions under the same compactions give the same rows (one source of truth).
  const rollups = asOfCompactions(await readCompactionState(h.ch));
  const { top_unresolved_apps: apps, ...totals } = await unresolvedSummary(h.ch, period, { topApps: 100 }, { rollups });
  expect(unresolvedCompacted).toMatchObject(totals);
  expect(await rowsOf(compacted(URLS[7]!))).toEqual(apps);
  expect(await rowsOf(compacted(URLS[0]!))).toEqual(await districtAppUsage(h.ch, period, {}, { rollups }));
  expect(await rowsOf(compacted(URLS[1]!))).toEqual(await schoolAppUsage(h.ch, period, {}, { rollups }));
  expect(await rowsOf(compacted(URLS[2]!))).toEqual(await classAppUsage(h.ch, period, {}, { rollups }));
  expect(await rowsOf(compacted(URLS[3]!))).toEqual(await weeklyDistrictUsage(h.ch, period, { rollups }));
  // Those usage answers came from September's month rows alone, as ClickHouse's JSON text of the
  // finished rows (reports' usageListing): the same rows in the same order as the report functions',
  // at each level and filter. Read live, the fold since needs its contributions: objects.
  const as = { rollups };
  const sA1 = { schoolId: 'sA1' };
  const listed: [UsageListing<unknown>, unknown[]][] = [
    [await districtAppUsageListing(h.ch, period, {}, as), await districtAppUsage(h.ch, period, {}, as)],
    [
      await districtAppUsageListing(h.ch, period, { appId: 'appa1' }, as),
      await districtAppUsage(h.ch, period, { appId: 'appa1' }, as),
    ],
    [await schoolAppUsageListing(h.ch, period, {}, as), await schoolAppUsage(h.ch, period, {}, as)],
    [await classAppUsageListing(h.ch, period, {}, as), await classAppUsage(h.ch, period, {}, as)],
    [await classAppUsageListing(h.ch, period, sA1, as), await classAppUsage(h.ch, period, sA1, as)],
  ];
  for (const [listing, rows] of listed) {
    expect(rows.length).toBeGreaterThan(0);
    expect(Array.isArray(listing)).toBe(false);
    expect(JSON.parse((listing as JsonRows<unknown>).json)).toEqual(rows);
  }
  expect(await classAppUsageListing(h.ch, period)).toEqual(await classAppUsage(h.ch, period));
  const table = await licenseTableFor(h.ch, 'dA', '30d', '2026-09-17', undefined, rollups);
  const licenseRows = (await rowsOf(compacted(LICENSES))) as { active: number; engaged_hours: number }[];
  expect(licenseRows.map((r) => [r.active, r.engaged_hours])).toEqual(
    table.licenses.map((l) => [l.active, l.engaged_hours]),
  );

  // As CSV too, and a school token still sees only its school.
  const csv = await h.get(`${compacted(URLS[1]!)}&format=csv`, h.tokens.director);
  expect(csv.status).toBe(200);
  expect(csv.body.split('\n')[0]).toBe('school_id,app_id,active_users,events,engaged_seconds,active_days');
  // What the JSON answer says beside its rows (the compactions read, the period) rides in a header.
  const { rows: _rows, ...jsonMeta } = (await h.get(compacted(URLS[1]!), h.tokens.director)).json as {
    rows: unknown;
  };
  expect(JSON.parse(String(csv.headers['edusage-meta']))).toEqual(jsonMeta);
  expect(jsonMeta).toMatchObject({ freshness: 'compacted', compactions: [{ month: 202609 }] });
  const school = await h.get(compacted(URLS[1]!), h.tokens.school);
  expect((school.json as { rows: { school_id: string }[] }).rows.every((r) => r.school_id === 'sA1')).toBe(true);
});

test('a deployment may make live the default (API_DEFAULT_FRESHNESS); a bad value is refused by name', async () => {
  // The first test left a fold above September's compaction: live and compacted answers differ.
  expect(() => loadApiConfig({ ...h.env.env, API_DEFAULT_FRESHNESS: 'stale' })).toThrow(/API_DEFAULT_FRESHNESS/);
  const config = loadApiConfig({ ...h.env.env, API_PORT: '0', API_DEFAULT_FRESHNESS: 'live' });
  const liveFirst = await startApi(config, createLogger('api-test', 'silent'), {
    listen: false,
    defaultMetrics: false,
    now: () => new Date('2026-09-17T12:00:00Z'),
  });
  try {
    const get = async (url: string) => {
      const r = await liveFirst.app.inject({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${h.tokens.director}` },
      });
      expect([url, r.statusCode]).toEqual([url, 200]);
      return JSON.parse(r.body) as Record<string, unknown>;
    };
    for (const url of [...URLS, UNRESOLVED]) {
      const byDefault = await get(url);
      expect([url, byDefault.freshness]).toEqual([url, 'live']);
      expect([url, byDefault]).toEqual([url, await answer(live(url))]);
      expect([url, byDefault]).not.toEqual([url, await answer(url)]);
      // A request that names compacted still gets it.
      expect([url, await get(compacted(url))]).toEqual([url, await answer(url)]);
    }
  } finally {
    await liveFirst.stop();
  }
});

test('inside one cut (a dashboard page), every compacted read goes by one read of the compactions', async () => {
  const deps = h.api.deps;
  const [a, b, c] = await oneCutOfCompactions(() =>
    Promise.all([readFreshness(deps, undefined), readFreshness(deps, 'compacted'), readFreshness(deps, 'live')]),
  );
  expect(a).toBe(b);
  expect(c.rollups).toBeUndefined();
  // Outside one, each call reads the compactions itself.
  const [d, e] = await Promise.all([readFreshness(deps, undefined), readFreshness(deps, undefined)]);
  expect(d).not.toBe(e);
  expect(d.rollups).toEqual(a.rollups);
});

test('a compacted answer says until when each compaction was checked; the checks go with their generation', async () => {
  const utc = (t: string) => `${t.replace(' ', 'T')}Z`;
  const serverNow = async () => (await queryRows<{ t: string }>(h.ch, "SELECT toString(now(), 'UTC') AS t"))[0]!.t;
  const compactions = async () =>
    (await answer(compacted(URLS[0]!))).compactions as { month: number; compacted_at: string; checked_at: string }[];
  // No grace: the runs here come seconds apart, and the drop below is of a superseded generation.
  const compactSeptember = async () =>
    (await compactRollups(h.ch, { supersededGraceSeconds: 0 })).find((r) => r.month === 202609)!;
  const checkedGenerations = async () =>
    (await queryRows<{ g: string }>(h.ch, `SELECT DISTINCT toString(generation) AS g FROM ${CHECKS_TABLE}`)).map(
      (r) => r.g,
    );

  /** Compacts September with something new; its answer's times, with the server's clock before the run. */
  const compactNew = async () => {
    const started = utc(await serverNow());
    expect((await compactSeptember()).generation).not.toBeNull();
    const made = (await readCompactionState(h.ch)).months.get(202609)!;
    const [answered] = await compactions();
    // Checked at the time its run took its marks: after the run began, before it was recorded.
    expect(answered).toMatchObject({ month: 202609, compacted_at: utc(made.compactedAt) });
    expect(started <= answered!.checked_at && answered!.checked_at <= answered!.compacted_at).toBe(true);
    expect(await checkedGenerations()).toContain(made.generation);
    return { made, answered: answered! };
  };

  // The first test left a fold above September's compaction.
  const first = await compactNew();

  // Later, a run that finds nothing new: the same compaction, checked when that run began.
  await sleep(1_100);
  const before = utc(await serverNow());
  expect((await compactSeptember()).generation).toBeNull();
  const after = utc(await serverNow());
  const [checked] = await compactions();
  expect(checked!.compacted_at).toBe(first.answered.compacted_at);
  expect(checked!.checked_at > first.answered.compacted_at).toBe(true);
  expect(before <= checked!.checked_at && checked!.checked_at <= after).toBe(true);
  // The pipeline lag names that run: every month is checked by it.
  expect(await compactionLag()).toMatchObject({ last_checked_at: checked!.checked_at, months_not_compacted: [] });

  // Something new twice: each a compaction with its own check, and the first generation (older than
  // the two newest) is dropped with its checks.
  expect(await checkedGenerations()).toContain(first.made.generation);
  for (const at of [FOLDED, 2 * FOLDED]) {
    await sleep(1_100);
    await foldMore(seedEvents().length + at);
    const { answered } = await compactNew();
    expect(answered.checked_at > checked!.checked_at).toBe(true);
  }
  expect(await checkedGenerations()).not.toContain(first.made.generation);
});

test('a generation superseded moments ago stays readable (a page read the state before); past the grace it goes', async () => {
  const generations = async () =>
    (
      await queryRows<{ g: string }>(
        h.ch,
        `SELECT DISTINCT toString(generation) AS g FROM ${MONTHS_TABLE} WHERE month = 202609 ORDER BY g`,
      )
    ).map((r) => r.g);
  // What a page read as of the compactions: the state, and an answer under it.
  const held = asOfCompactions(await readCompactionState(h.ch));
  const heldGeneration = held.months.get(202609)!.generation;
  const before = await districtAppUsage(h.ch, period, {}, { rollups: held });
  // Two quick runs, each with something new: the held generation is now older than the two newest.
  // Numbered in the order they ran, also within one second (the clock's second alone would not order them).
  let last = BigInt(heldGeneration);
  for (const at of [3 * FOLDED, 4 * FOLDED]) {
    await foldMore(seedEvents().length + at);
    const made = (await compactRollups(h.ch)).find((r) => r.month === 202609)!.generation;
    expect(made).not.toBeNull();
    expect(BigInt(made!) > last).toBe(true);
    last = BigInt(made!);
  }
  expect(await generations()).toContain(heldGeneration);
  expect(await districtAppUsage(h.ch, period, {}, { rollups: held })).toEqual(before);
  // A run after the grace (1 s here) drops it.
  await sleep(2_100);
  await foldMore(seedEvents().length + 5 * FOLDED);
  await compactRollups(h.ch, { supersededGraceSeconds: 1 });
  expect(await generations()).not.toContain(heldGeneration);
  expect((await generations()).length).toBe(2);
});

test('a run is numbered above every generation already recorded, even one ahead of the server clock', async () => {
  // A compaction recorded an hour ahead (a month no read here touches): the clock alone would number
  // the next run below it, and readers would keep taking the older one.
  const ahead = (BigInt(Math.floor(Date.now() / 1000) + 3_600) * 1_000_000n).toString();
  await h.ch.command({
    query: `INSERT INTO rollup_compactions_v2 (month, generation, invalidations, mark_topics, mark_partitions, mark_offsets, compacted_at)
            VALUES (209912, ${ahead}, 0, [], [], [], now())`,
  });
  await foldMore(seedEvents().length + 6 * FOLDED);
  const made = (await compactRollups(h.ch)).find((r) => r.month === 202609)!.generation;
  expect(made).not.toBeNull();
  expect(BigInt(made!) > BigInt(ahead)).toBe(true);
});

test('an unknown freshness is a 400 naming the parameter', async () => {
  const r = await h.get(`/v1/usage/district?${P}&freshness=stale`, h.tokens.director);
  expect(r.status).toBe(400);
  expect(JSON.stringify(r.json)).toContain('freshness');
});
