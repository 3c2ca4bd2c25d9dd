/**
 * One source of truth: the API's numbers equal the report functions' (packages/reports, the demo's
 * report) and the `licenses report` CLI's output byte for byte; and the district figures equal the
 * ones computed here by hand from the seeded events' meaning.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildLicenseReport } from '@edusage/licenses';
import {
  classAppUsage,
  deadLetterSummary,
  districtAppUsage,
  schoolAppUsage,
  unresolvedSummary,
} from '@edusage/reports';
import { repoRoot } from '@edusage/testkit';
import { insertRows } from '@edusage/clickhouse';
import { usageEventRow } from '@edusage/aggregate';
import { DAYS, PERIOD, enriched, hex, seedEvents, startHarness, type Harness } from './harness';

const run = promisify(execFile);
const P = `from=${PERIOD.from}&to=${PERIOD.to}`;
const period = { districtId: 'dA', ...PERIOD };

let h: Harness;
beforeAll(async () => {
  h = await startHarness('api_equality', { API_RATE_LIMIT: '100000' });
}, 180_000);
afterAll(async () => h?.close());

const rowsOf = async (url: string) => {
  const r = await h.get(url, h.tokens.director);
  expect(r.status).toBe(200);
  return (r.json as { rows: unknown[] }).rows;
};

test('district usage equals the seeded events counted by hand', async () => {
  const rows = (await rowsOf(`/v1/usage/district?${P}`)) as { app_id: string }[];
  const events = seedEvents().filter((e) => e.district === 'dA');
  const apps = [...new Set(events.map((e) => e.app))];
  const expected = apps.map((app) => {
    const of = events.filter((e) => e.app === app);
    const minutes = new Set(of.filter((e) => e.seconds === 0).map((e) => `${e.person}|${e.day}|${e.minute}`));
    return {
      app_id: app,
      active_users: new Set(of.map((e) => e.person)).size,
      events: of.length,
      engaged_seconds: of.reduce((a, e) => a + e.seconds, 0) + 60 * minutes.size,
      active_days: new Set(of.map((e) => e.day)).size,
    };
  });
  const byApp = (a: { app_id: string }, b: { app_id: string }) => a.app_id.localeCompare(b.app_id);
  expect([...rows].sort(byApp)).toEqual(expected.sort(byApp));
});

test('usage, unresolved and dead letters equal the report functions', async () => {
  expect(await rowsOf(`/v1/usage/district?${P}`)).toEqual(await districtAppUsage(h.ch, period));
  expect(await rowsOf(`/v1/usage/schools?${P}`)).toEqual(await schoolAppUsage(h.ch, period));
  expect(await rowsOf(`/v1/usage/classes?${P}`)).toEqual(await classAppUsage(h.ch, period));
  expect(await rowsOf(`/v1/usage/schools?${P}&school=sA2&app=appa1`)).toEqual(
    (await schoolAppUsage(h.ch, period)).filter((r) => r.school_id === 'sA2' && r.app_id === 'appa1'),
  );
  const summary = await unresolvedSummary(h.ch, period);
  const { top_unresolved_apps, ...totals } = summary;
  expect(totals.unresolved_person_events).toBeGreaterThan(0);
  // Nothing compacted here: the default read (as of the compactions) reads every contribution, and says so.
  expect((await h.get(`/v1/unresolved?${P}`, h.tokens.director)).json).toEqual({
    district_id: 'dA',
    ...PERIOD,
    freshness: 'compacted',
    compactions: [],
    months_not_compacted: [202609],
    ...totals,
  });
  expect(await rowsOf(`/v1/unresolved/apps?${P}`)).toEqual(top_unresolved_apps);
  // The API leaves out letters of no district (they may be another district's); the rest are the report's.
  const letters = await deadLetterSummary(h.ch, 'dA', { includeUnattributed: false });
  expect(letters.find((l) => l.reason_code === 'invalid_field')?.count).toBe(2); // re-sent input counted once
  expect(await rowsOf('/v1/dead-letters')).toEqual(letters);
});

test('dead letters per day: each input on the day it was first rejected; the days add up to the totals', async () => {
  const daily = (await rowsOf('/v1/dead-letters/daily?from=2026-09-01&to=2026-09-17')) as {
    day: string;
    reason_code: string;
    count: number;
  }[];
  // By hand (harness seed): on 09-15 two invalid_field inputs (one sent twice) and one malformed_json;
  // one of the invalid_field inputs re-sent on 09-16 (nothing new); a new malformed_json on 09-17.
  expect(daily.map((r) => [r.day, r.reason_code, r.count])).toEqual([
    ['2026-09-15', 'invalid_field', 2],
    ['2026-09-15', 'malformed_json', 1],
    ['2026-09-17', 'malformed_json', 1],
  ]);
  const totals = await rowsOf('/v1/dead-letters');
  for (const t of totals as { reason_code: string; count: number }[])
    expect(daily.filter((d) => d.reason_code === t.reason_code).reduce((a, d) => a + d.count, 0)).toBe(t.count);
  // A period after the first rejection: the re-sent input is not new on 09-16.
  expect(await rowsOf('/v1/dead-letters/daily?from=2026-09-16&to=2026-09-16')).toEqual([]);
  // A period ending before 09-17 does not see that day's input.
  expect((await rowsOf('/v1/dead-letters/daily?from=2026-09-01&to=2026-09-16')).length).toBe(2);
});

test('weekly usage: distinct people per week across days and apps, as counted by hand', async () => {
  const weeks = (await rowsOf('/v1/usage/weekly?from=2026-09-01&to=2026-09-17')) as Record<string, unknown>[];
  // Weeks of 7 days ending on 09-17, the first cut at 09-01; the seed's three days are in the last.
  expect(weeks.map((w) => [w.week_from, w.week_to])).toEqual([
    ['2026-09-01', '2026-09-03'],
    ['2026-09-04', '2026-09-10'],
    ['2026-09-11', '2026-09-17'],
  ]);
  const dA = seedEvents().filter((e) => e.district === 'dA');
  const minutes = new Set(dA.filter((e) => e.seconds === 0).map((e) => `${e.person}|${e.app}|${e.day}|${e.minute}`));
  expect(weeks.at(-1)).toEqual({
    week_from: '2026-09-11',
    week_to: '2026-09-17',
    active_users: 6, // pA1..pA6, each on three days, up to two apps: one person each
    events: dA.length,
    engaged_seconds: dA.reduce((t, e) => t + e.seconds, 0) + 60 * minutes.size,
  });
  expect(weeks.slice(0, 2).map((w) => [w.active_users, w.events, w.engaged_seconds])).toEqual([
    [0, 0, 0],
    [0, 0, 0],
  ]);
  // Not a sum: the per-app counts of that week add up to 10 (appa1 5, appa2 4, the domain 1).
  const perApp = (await rowsOf('/v1/usage/district?from=2026-09-11&to=2026-09-17')) as { active_users: number }[];
  expect(perApp.reduce((t, r) => t + r.active_users, 0)).toBe(10);
  // A week of one day: that day's people (pA1..pA6 all used something on 09-14).
  expect(
    ((await rowsOf('/v1/usage/weekly?from=2026-09-14&to=2026-09-14')) as { active_users: number }[]).map(
      (w) => w.active_users,
    ),
  ).toEqual([6]);
});

test('the school token gets exactly the report rows of its school', async () => {
  const r = await h.get(`/v1/usage/schools?${P}`, h.tokens.school);
  expect((r.json as { rows: unknown[] }).rows).toEqual(
    (await schoolAppUsage(h.ch, period)).filter((x) => x.school_id === 'sA1'),
  );
});

test('licenses equal buildLicenseReport, and the CSV equals `licenses report --format csv` byte for byte', async () => {
  const report = await buildLicenseReport(h.ch, { districtId: 'dA', from: '2026-09-14', to: '2026-09-16' });
  const json = (await h.get('/v1/licenses?window=3d&as_of=2026-09-16', h.tokens.director)).json as {
    from: string;
    to: string;
    rows: { license_id: string; active: number; utilization: number | null; idle_cost: number; flags: string[] }[];
  };
  expect([json.from, json.to]).toEqual(['2026-09-14', '2026-09-16']);
  expect(json.rows.map((r) => [r.license_id, r.active, r.utilization, r.idle_cost, r.flags])).toEqual(
    report.licenses.map((m) => [m.license.license_id, m.active, m.utilization, m.idle_cost, m.flags]),
  );
  expect(json.rows.find((r) => r.license_id === 'L-A1')?.active).toBe(4); // pA1..pA4 are the students of appa1

  for (const [window, asOf] of [
    ['3d', '2026-09-16'],
    ['term', '2026-09-16'],
    ['2026-09-15..2026-09-16', '2026-09-16'],
  ] as const) {
    const api = await h.get(`/v1/licenses?window=${window}&as_of=${asOf}&format=csv`, h.tokens.director);
    expect(api.headers['content-type']).toMatch(/^text\/csv/);
    const cli = await run(
      process.execPath,
      [
        path.join(repoRoot(), 'packages/licenses/dist/cli-licenses.js'),
        'report',
        '--district',
        'dA',
        '--window',
        window,
        '--as-of',
        asOf,
        '--format',
        'csv',
      ],
      { env: { ...process.env, ...h.env.env } },
    );
    expect(cli.stdout.split('\n').length).toBeGreaterThan(2);
    expect(api.body).toBe(cli.stdout);
  }
});

test("licenses per school are the report's school rows of the same window", async () => {
  const report = await buildLicenseReport(h.ch, { districtId: 'dA', from: '2026-09-14', to: '2026-09-16' });
  const rows = (await rowsOf('/v1/licenses/schools?window=3d&as_of=2026-09-16')) as Record<string, unknown>[];
  expect(
    rows.map(({ license_id, school_id, app_id, eligible, active, reach }) => ({
      license_id,
      school_id,
      app_id,
      eligible,
      active,
      reach,
    })),
  ).toEqual(
    report.schools.map(({ license_id, school_id, app_id, eligible, active, reach }) => ({
      license_id,
      school_id,
      app_id,
      eligible,
      active,
      reach,
    })),
  );
  expect(rows.map((r) => [r.license_id, r.license_school_id, r.school_id])).toEqual([
    ['L-A1', '', 'sA1'],
    ['L-A1', '', 'sA2'],
    ['L-A2', 'sA2', 'sA2'],
  ]);
  expect(await rowsOf('/v1/licenses/schools?window=3d&as_of=2026-09-16&license=L-A2')).toEqual(rows.slice(2));
});

test('license findings are the report lists of the same window', async () => {
  const report = await buildLicenseReport(h.ch, { districtId: 'dA', from: '2026-09-14', to: '2026-09-16' });
  const rows = (await rowsOf('/v1/licenses/findings?window=3d&as_of=2026-09-16')) as {
    finding: string;
    app_id: string;
    active: number | null;
    schools: string[];
    detail: string;
  }[];
  const of = (kind: string) =>
    rows.filter((r) => r.finding === kind).map(({ app_id, active, schools }) => ({ app_id, active, schools }));
  expect(of('unlicensed')).toEqual(report.unlicensed);
  // No approvals were imported: every app in use is not reviewed, hence unapproved.
  expect(of('unapproved')).toEqual(
    report.unapproved.map(({ app_id, active, schools }) => ({ app_id, active, schools })),
  );
  expect(of('unapproved').map((r) => r.app_id)).toEqual(['appa1', 'appa2', 'domain:unknown.example']);
  expect(rows.filter((r) => r.finding === 'unapproved').every((r) => r.detail === 'not_reviewed')).toBe(true);
  expect(of('unlicensed')).toEqual([{ app_id: 'domain:unknown.example', active: 1, schools: [] }]);
  expect(rows.filter((r) => r.finding === 'never_used')).toEqual([]);
});

/**
 * Twelve more students of dA (not in the roster) tested on the first and last day, with varied use of
 * appOut in between, so the evidence table has cells of at least k = 10 students to show.
 */
async function seedOutcomeStudents(): Promise<void> {
  const students = Array.from({ length: 12 }, (_, i) => `pO${i + 1}`);
  await insertRows(
    h.ch,
    'assessment_results',
    students.flatMap((p, i) =>
      [DAYS[0]!, DAYS[2]!].map((day, t) => ({
        district_id: 'dA',
        assessment: 'map_growth',
        subject: 'math',
        person_id: hex(p),
        test_date: day,
        score: 190 + i + t * (2 + (i % 5)),
        window: t === 0 ? 'Fall' : 'Winter',
        standard_error: 3,
        percentile: 50,
        projected_growth: 4,
        grade: '05',
      })),
    ),
  );
  const events = students.slice(2).map((p, i) =>
    enriched(
      {
        district: 'dA',
        day: DAYS[i % 2]!,
        minute: 40 + i,
        person: p,
        role: 'student',
        school: null,
        class: null,
        app: 'appOut',
        appResolved: true,
        personResolved: false,
        seconds: 600 * (i + 1),
      },
      1000 + i,
    ),
  );
  await insertRows(
    h.ch,
    'usage_events',
    events.map((e, i) =>
      usageEventRow(e, { topic: 'seed.outcomes', partition: 0, offset: String(i) }, '2026-09-17 00:00:00'),
    ),
  );
}

test('outcome evidence equals `outcomes analyze --format csv` byte for byte; no band under k is shown', async () => {
  await seedOutcomeStudents();
  // The harness's period is three days, its tests two days apart: pairs closer than the default 14 days
  // are asked for on both sides (the option is part of what must be equal).
  const q = `app=appOut&assessment=map_growth&subject=math&min_pair_days=2&${P}`;
  const api = await h.get(`/v1/outcomes/evidence?${q}&format=csv`, h.tokens.director);
  expect(api.status).toBe(200);
  const cli = await run(
    process.execPath,
    [
      path.join(repoRoot(), 'packages/outcomes/dist/cli.js'),
      'analyze',
      ...['--district', 'dA', '--app', 'appOut', '--assessment', 'map_growth', '--subject', 'math'],
      ...['--from', PERIOD.from, '--to', PERIOD.to, '--min-pair-days', '2', '--format', 'csv'],
    ],
    { env: { ...process.env, ...h.env.env, PSEUDONYM_KEY: 'api-equality-test-key-0123456789' } },
  );
  expect(api.body).toBe(cli.stdout.replace(/\n$/, ''));
  // An assessment nobody took: no record, and still the same header line (not one taken from a record).
  const none = await h.get(
    `/v1/outcomes/evidence?${q.replace('map_growth', 'no_such_test')}&format=csv`,
    h.tokens.director,
  );
  expect(none.status).toBe(200);
  expect(none.body.split('\n').filter((l) => l.length > 0)).toEqual([api.body.split('\n')[0]]);
  const json = (await h.get(`/v1/outcomes/evidence?${q}`, h.tokens.director)).json as {
    students: number;
    rows: { dimension: string; view: string; band: string; n: number | null }[];
  };
  // 4 students of appa1's seed and the 12 above have a pre and a post test.
  expect(json.students).toBe(16);
  const district = json.rows.filter((r) => r.dimension === 'district' && r.view === 'goal');
  expect(district.map((r) => r.band)).toEqual(['none', 'below_goal', 'at_goal']);
  expect(district.some((r) => r.n !== null)).toBe(true);
  // Never a band under k = 10 shown.
  for (const r of json.rows) if (r.n !== null && r.n > 0) expect(r.n).toBeGreaterThanOrEqual(10);
  // 16 students are fewer than two bins of k = 10: no binned scatter, and the reason says so.
  const meta = json as unknown as { usage_bins: unknown; usage_bins_note: string };
  expect(meta.usage_bins).toBeNull();
  expect(meta.usage_bins_note).toContain('fewer than 20 students');
});

test('Accept: text/csv gives the same rows as CSV', async () => {
  const csv = await h.get(`/v1/usage/district?${P}`, h.tokens.director, { accept: 'text/csv' });
  const rows = await districtAppUsage(h.ch, period);
  const lines = csv.body.trim().split('\n');
  expect(lines[0]).toBe('app_id,active_users,events,engaged_seconds,active_days');
  expect(JSON.parse(String(csv.headers['edusage-meta']))).toEqual({
    district_id: period.districtId,
    from: period.from,
    to: period.to,
    freshness: 'compacted',
    compactions: [],
    months_not_compacted: [202609],
  });
  expect(lines.slice(1)).toEqual(
    rows.map((r) => [r.app_id, r.active_users, r.events, r.engaged_seconds, r.active_days].join(',')),
  );
});
