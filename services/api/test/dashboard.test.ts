/**
 * The dashboard in Debian's chromium (@playwright/test's API under jest, no browser download) against the API on the
 * real ClickHouse and Redis: sign-in, every page's numbers equal the API's answer to the same query
 * (and, for the main ones, figures counted by hand from the seed), CSV downloads equal the tables,
 * role limits, bad URL input, sessions and CSRF. Screenshots of every page go to var/screenshots.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from '@playwright/test';
import { insertRows, queryRows } from '@edusage/clickhouse';
import { deriveRollups, usageEventRow } from '@edusage/aggregate';
import { analyze } from '@edusage/outcomes';
import { compactRollups } from '@edusage/rollups';
import { assessmentRow, waitFor } from '@edusage/testkit';
import { createHash } from 'node:crypto';
import { enriched, PERIOD, seedLicenses, startHarness, type Harness, type SeedEvent } from './harness';
import { a11yViolations, launch, SCREENSHOT_DIR, shot, signIn, tableCells, type Cells } from './dashboard-browser';

jest.setTimeout(240_000);

let h: Harness;
let base: string;
let browser: Browser;
let admin: Page;
const serverTimes: Record<string, number> = {};

const hoursOf = (seconds: number) => Math.round((seconds / 3600) * 10) / 10;
const sumOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

interface DeadLetterDay {
  day: string;
  stage: string;
  source: string;
  reason_code: string;
  count: number;
}

interface UsageRow {
  app_id: string;
  school_id?: string;
  class_id?: string;
  active_users: number;
  events: number;
  engaged_seconds: number;
  active_days: number;
}

async function api<T = Record<string, unknown>>(
  url: string,
  token = h.tokens.admin,
): Promise<{ rows: T[] } & Record<string, unknown>> {
  const r = await h.get(url, token);
  expect(r.status).toBe(200);
  return r.json as { rows: T[] } & Record<string, unknown>;
}

/** Opens a dashboard page, records its server time (Server-Timing), checks it is not an error page. */
async function open(page: Page, pathAndQuery: string, status = 200): Promise<void> {
  const res = await page.goto(`${base}/dashboard/${pathAndQuery}`);
  expect(res?.status()).toBe(status);
  const timing = (await res?.headerValue('server-timing')) ?? '';
  const ms = /dur=([\d.]+)/.exec(timing)?.[1];
  if (ms) serverTimes[pathAndQuery] = Math.max(serverTimes[pathAndQuery] ?? 0, Number(ms));
  expect(await page.content()).not.toMatch(/\n\s+at \S+ \(|TypeError|ReferenceError/);
  // Every page opened is checked by axe-core: no serious or critical violation (labels, contrast, …).
  expect({ page: pathAndQuery, violations: await a11yViolations(page) }).toEqual({
    page: pathAndQuery,
    violations: [],
  });
}

const periodOf = async (page: Page) => ({
  from: await page.inputValue('input[name=from]'),
  to: await page.inputValue('input[name=to]'),
});

function expectUsage(cells: Cells, rows: UsageRow[], key: 'app_id' | 'school_id' = 'app_id') {
  expect(cells.map((c) => c[key])).toEqual(rows.map((r) => r[key]));
  cells.forEach((c, i) => {
    const r = rows[i]!;
    expect(Number(c.active_users)).toBe(r.active_users);
    expect(Number(c.events)).toBe(r.events);
    expect(Number(c.active_days)).toBe(r.active_days);
    expect(Number(c.engaged_hours)).toBeCloseTo(hoursOf(r.engaged_seconds), 1);
  });
}

beforeAll(async () => {
  h = await startHarness('dashboard');
  base = await h.api.app.listen({ port: 0, host: '127.0.0.1' });
  browser = await launch();
  admin = (await signIn(browser, base, h.tokens.admin)).page;
});

afterAll(async () => {
  writeFileSync(path.join(SCREENSHOT_DIR, 'server-times.json'), JSON.stringify(serverTimes, null, 2));
  await browser?.close();
  await h?.close();
});

describe('dashboard pages equal the API', () => {
  test('overview: top apps, weekly figures, unresolved share, pipeline', async () => {
    await open(admin, 'overview');
    const p = await periodOf(admin);
    expect(p.to).toBe('2026-09-17'); // the API clock's today
    const usage = await api<UsageRow>(`/v1/usage/district?from=${p.from}&to=${p.to}`);
    expectUsage(await tableCells(admin, 'top-apps'), usage.rows.slice(0, 10));
    // By hand from the seed: appa1 was used by pA1..pA5, on all three days.
    const appa1 = (await tableCells(admin, 'top-apps')).find((c) => c.app_id === 'appa1')!;
    expect(appa1.active_users).toBe('5');
    expect(appa1.active_days).toBe('3');

    const weeks = await tableCells(admin, 'weekly-hours');
    expect(weeks).toHaveLength(12);
    for (const w of weeks.slice(-2)) {
      const rows = (await api<UsageRow>(`/v1/usage/district?from=${w.week_from}&to=${w.week_to}`)).rows;
      expect(Number(w.events)).toBe(sumOf(rows.map((r) => r.events)));
      expect(Number(w.engaged_hours)).toBeCloseTo(hoursOf(sumOf(rows.map((r) => r.engaged_seconds))), 1);
    }
    // The seed's days 2026-09-14..16 fall in the last week (09-11..09-17): its events are all of them.
    expect(weeks.at(-1)!.week_from).toBe('2026-09-11');
    expect(Number(weeks.at(-1)!.events)).toBe(sumOf(usage.rows.map((r) => r.events)));
    // District-wide weekly active users: the API's distinct count for each week, never a sum.
    const weekly = await api<{ week_to: string; active_users: number; events: number }>(
      `/v1/usage/weekly?from=${p.from}&to=${p.to}`,
    );
    expect(weeks.map((w) => [w.week_to, Number(w.active_users), Number(w.events)])).toEqual(
      weekly.rows.map((w) => [w.week_to, w.active_users, w.events]),
    );
    // By hand: pA1..pA6 were active in the last week (per app 5 + 4 + 1 = 10 would be a sum).
    expect(weeks.at(-1)!.active_users).toBe('6');
    expect(await admin.textContent('.kpis')).toContain('Active users, last week6');

    const un = (await h.get(`/v1/unresolved?from=${p.from}&to=${p.to}`, h.tokens.admin)).json as Record<string, number>;
    const share = Object.fromEntries((await tableCells(admin, 'unresolved')).map((c) => [c.what, Number(c.events)]));
    expect(share['app not in the catalog']).toBe(un.unresolved_app_events);
    expect(share['person not in the roster']).toBe(un.unresolved_person_events);
    expect(share['no school']).toBe(un.unattributed_school_events);
    expect(share['app not in the catalog']).toBe(3); // pA6's three domain:unknown.example events

    const campus = await api<{ campus: string; events: number; engaged_seconds: number; engaged_share: number }>(
      `/v1/usage/campus?from=${p.from}&to=${p.to}`,
    );
    const campusCells = await tableCells(admin, 'campus');
    expect(campusCells.map((c) => c.campus)).toEqual(campus.rows.map((r) => r.campus));
    campusCells.forEach((c, i) => {
      const r = campus.rows[i]!;
      expect(Number(c.events)).toBe(r.events);
      expect(Number(c.engaged_hours)).toBeCloseTo(hoursOf(r.engaged_seconds), 1);
      expect(Number(c.engaged_share_pct)).toBeCloseTo(r.engaged_share * 100, 1);
    });
    // By hand (harness seed): 9 events on campus, 12 off, 3 unknown; together the rollups' events.
    expect(campusCells.map((c) => Number(c.events))).toEqual([9, 12, 3]);
    expect(sumOf(campusCells.map((c) => Number(c.events)))).toBe(sumOf(usage.rows.map((r) => r.events)));
    expect(await admin.textContent('.kpis')).toContain(
      `Engaged time on campus${(Math.round(campus.rows[0]!.engaged_share * 1000) / 10).toFixed(1)} %`,
    );

    const dead = (await api<{ stage: string; count: number }>('/v1/dead-letters')).rows;
    expect(await tableCells(admin, 'dead-letters')).toEqual([
      { stage: 'ingest', count: String(sumOf(dead.map((d) => d.count))) },
    ]);
    // Today = the API clock's day (2026-09-17): by hand, one new malformed_json input of dA.
    const today = await api<DeadLetterDay>('/v1/dead-letters/daily?from=2026-09-17&to=2026-09-17');
    expect(await tableCells(admin, 'dead-letters-today')).toEqual(
      today.rows.map((d) => ({ stage: d.stage, source: d.source, reason_code: d.reason_code, count: String(d.count) })),
    );
    expect(today.rows.map((d) => [d.reason_code, d.count])).toEqual([['malformed_json', 1]]);
    expect(await admin.textContent('.kpis')).toContain('Dead letters today1');
    await shot(admin, 'overview');
  });

  test('apps: every app, unresolved domains with the catalog command, one app by school', async () => {
    const P = { from: '2026-09-01', to: '2026-09-16' }; // weeks to 09-16: 09-10.., 09-03.., 09-01..
    await open(admin, `apps?from=${P.from}&to=${P.to}`);
    const usage = await api<UsageRow>(`/v1/usage/district?from=${P.from}&to=${P.to}`);
    const cells = await tableCells(admin, 'apps');
    expectUsage(cells, usage.rows);
    const byApp = Object.fromEntries(cells.map((c) => [c.app_id, c]));
    expect(byApp.appa1!.licenses).toBe('L-A1');
    expect(byApp.appa1!.schools).toBe('2');
    expect(byApp.appa2!.licenses).toBe('L-A2');
    expect(byApp.appa1!.approval).toBe('not reviewed'); // no approvals imported
    // Trend: the period's last week and the one before it, as the API counts them.
    const week = (from: string, to: string) => api<UsageRow>(`/v1/usage/district?from=${from}&to=${to}`);
    const [last, before] = await Promise.all([week('2026-09-10', '2026-09-16'), week('2026-09-03', '2026-09-09')]);
    for (const c of cells) {
      expect(Number(c.users_last_week)).toBe(last.rows.find((r) => r.app_id === c.app_id)?.active_users ?? 0);
      expect(Number(c.users_week_before)).toBe(before.rows.find((r) => r.app_id === c.app_id)?.active_users ?? 0);
    }
    expect(byApp.appa1!.users_last_week).toBe('5'); // by hand: the seed's three days are in that week

    const unresolved = await api<{ app_id: string; events: number; active_users: number }>(
      `/v1/unresolved/apps?from=${P.from}&to=${P.to}&limit=1000`,
    );
    expect(await tableCells(admin, 'unresolved-apps')).toEqual(
      unresolved.rows.map((r) => ({
        app_id: r.app_id,
        active_users: String(r.active_users),
        events: String(r.events),
      })),
    );
    const text = await admin.textContent('main');
    expect(text).toContain('catalog import --district dA');
    expect(text).toContain('"domains":["unknown.example"]');
    await shot(admin, 'apps');

    await admin.getByRole('link', { name: 'appa1', exact: true }).first().click();
    await admin.waitForURL(/app=appa1/);
    const schools = await api<UsageRow>(`/v1/usage/schools?from=${P.from}&to=${P.to}&app=appa1`);
    expectUsage(await tableCells(admin, 'app-schools'), schools.rows, 'school_id');
    await shot(admin, 'app-detail');
  });

  test('licenses: utilization, unused seats, idle cost, EPI, alerts, unapproved apps', async () => {
    await open(admin, `licenses?from=2026-08-19&to=${PERIOD.to}`);
    const lic = await api<Record<string, number | null | string>>(
      `/v1/licenses?window=2026-08-19..${PERIOD.to}&as_of=${PERIOD.to}`,
    );
    const cells = await tableCells(admin, 'licenses');
    expect(cells.map((c) => c.license_id)).toEqual(lic.rows.map((r) => r.license_id));
    cells.forEach((c, i) => {
      const r = lic.rows[i]!;
      expect(Number(c.active)).toBe(r.active);
      expect(c.seats).toBe(String(r.seats ?? ''));
      expect(c.unused_seats).toBe(String(r.unused_seats ?? ''));
      expect(Number(c.idle_cost)).toBeCloseTo(r.idle_cost as number, 2);
      if (r.utilization === null) expect(c.utilization_pct).toBe('');
      else expect(Number(c.utilization_pct)).toBeCloseTo((r.utilization as number) * 100, 1);
    });
    // By hand: L-A1 is district-wide, 10 seats, audience students (default): pA1..pA4 used appa1
    // in the window (pA5 is a teacher).
    const a1 = cells.find((c) => c.license_id === 'L-A1')!;
    expect([a1.seats, a1.active, a1.unused_seats, a1.utilization_pct]).toEqual(['10', '4', '6', '40']);
    // Per school of the first license (L-A1, district-wide): active vs eligible as the API answers.
    const perSchool = await api<{ license_id: string; school_id: string; eligible: number; active: number }>(
      `/v1/licenses/schools?window=2026-08-19..${PERIOD.to}&as_of=${PERIOD.to}`,
    );
    const schoolCells = (id: string) =>
      perSchool.rows
        .filter((r) => r.license_id === id)
        .map((r) => ({ school_id: r.school_id, eligible: String(r.eligible), active: String(r.active) }));
    const shownSchools = async () =>
      (await tableCells(admin, 'license-schools')).map(({ school_id, eligible, active }) => ({
        school_id,
        eligible,
        active,
      }));
    expect(await shownSchools()).toEqual(schoolCells('L-A1'));
    // By hand: students pA1, pA2 at sA1 and pA3, pA4 at sA2, each of them used appa1.
    expect(await shownSchools()).toEqual([
      { school_id: 'sA1', eligible: '2', active: '2' },
      { school_id: 'sA2', eligible: '2', active: '2' },
    ]);
    expect(
      await admin.locator('[role=img][aria-label^="L-A1 (appa1, district-wide): active vs eligible"]').count(),
    ).toBe(1);
    await shot(admin, 'licenses');
    await admin.getByRole('link', { name: 'L-A2', exact: true }).first().click();
    await admin.waitForURL(/license=L-A2/);
    expect(await shownSchools()).toEqual(schoolCells('L-A2'));
    expect(schoolCells('L-A2')).toEqual([{ school_id: 'sA2', eligible: '2', active: '2' }]);
    // The stored alert of dA renews 2026-10-01, after the API clock's today (2026-09-17): upcoming.
    const alerts = await tableCells(admin, 'alerts');
    expect(alerts.map((a) => [a.license_id, a.renewal_date, a.threshold_days])).toEqual([['L-A2', '2026-10-01', '30']]);
    // No approvals imported: every app in use is unapproved (not reviewed).
    const usage = await api<UsageRow>(`/v1/usage/district?from=2026-08-19&to=${PERIOD.to}`);
    expect((await tableCells(admin, 'unapproved')).map((a) => a.app_id)).toEqual(usage.rows.map((r) => r.app_id));
    await shot(admin, 'licenses');
  });

  test("the period form's freshness: compacted pages show the API's compacted answers and keep the choice", async () => {
    const period = `from=2026-08-19&to=${PERIOD.to}`;
    await open(admin, `overview?${period}&freshness=compacted`);
    expect(await admin.inputValue('select[name=freshness]')).toBe('compacted');
    const usage = await api<UsageRow>(`/v1/usage/district?${period}&freshness=compacted`);
    expect(usage.freshness).toBe('compacted');
    expectUsage(await tableCells(admin, 'top-apps'), usage.rows.slice(0, 10));
    // The endpoints without the parameter (campus, dead letters, …) still answered: the page is whole.
    expect(await admin.textContent('.kpis')).toContain('Engaged time on campus');
    const licenses = await api<{ license_id: string; active: number }>(
      `/v1/licenses?window=2026-08-19..${PERIOD.to}&as_of=${PERIOD.to}&freshness=compacted`,
    );
    await open(admin, `licenses?${period}&freshness=compacted`);
    expect((await tableCells(admin, 'licenses')).map((c) => [c.license_id, Number(c.active)])).toEqual(
      licenses.rows.map((r) => [r.license_id, r.active]),
    );
    // A page's links keep the choice; as of the compactions is the default (the API's).
    await open(admin, `apps?${period}&freshness=live`);
    expect(await admin.getAttribute('a[href*="apps?app=appa1"]', 'href')).toContain('freshness=live');
    expect(await admin.inputValue('select[name=freshness]')).toBe('live');
    await open(admin, `overview?${period}`);
    expect(await admin.inputValue('select[name=freshness]')).toBe('compacted');
    // Nothing compacted yet: the note says the figures read are everything folded so far.
    expect((await admin.textContent('p.freshness-note'))?.replace(/\s+/g, ' ')).toContain(
      'no month of the period compacted yet, so everything folded so far is read (2026-09)',
    );
  });

  test('schools and classes: district → school → class drill-down', async () => {
    await open(admin, `schools?from=${PERIOD.from}&to=${PERIOD.to}`);
    const rows = (await api<UsageRow>(`/v1/usage/schools?from=${PERIOD.from}&to=${PERIOD.to}`)).rows;
    const cells = await tableCells(admin, 'schools');
    for (const c of cells) {
      const mine = rows.filter((r) => r.school_id === c.id);
      expect(Number(c.events)).toBe(sumOf(mine.map((r) => r.events)));
      expect(Number(c.engaged_hours)).toBeCloseTo(hoursOf(sumOf(mine.map((r) => r.engaged_seconds))), 1);
      expect(Number(c.apps)).toBe(mine.length);
    }
    expect(cells.map((c) => c.id).sort()).toEqual(['', 'sA1', 'sA2']);
    await shot(admin, 'schools');
    await admin.getByRole('link', { name: 'sA1', exact: true }).click();
    await admin.waitForURL(/school=sA1/);
    expectUsage(
      await tableCells(admin, 'school-apps'),
      (await api<UsageRow>(`/v1/usage/schools?from=${PERIOD.from}&to=${PERIOD.to}&school=sA1`)).rows,
    );
    await admin.getByRole('link', { name: 'cA1', exact: true }).click();
    await admin.waitForURL(/class=cA1/);
    const klass = (await api<UsageRow>(`/v1/usage/classes?from=${PERIOD.from}&to=${PERIOD.to}&school=sA1&class=cA1`))
      .rows;
    expectUsage(await tableCells(admin, 'class-apps'), klass);
    expect(klass[0]!.active_users).toBe(3); // by hand: pA1, pA2 and the teacher pA5
    await shot(admin, 'class');
  });

  test('data health: dead letters and imports', async () => {
    await open(admin, 'health');
    const dead = (await api<{ stage: string; source: string; reason_code: string; count: number }>('/v1/dead-letters'))
      .rows;
    expect(await tableCells(admin, 'dead-letters')).toEqual(
      dead.map((d) => ({ stage: d.stage, source: d.source, reason_code: d.reason_code, count: String(d.count) })),
    );
    // By hand: dA's letters are 2 distinct invalid_field inputs (one re-sent twice) and 2 malformed_json.
    expect(Object.fromEntries(dead.map((d) => [d.reason_code, d.count]))).toEqual({
      invalid_field: 2,
      malformed_json: 2,
    });
    // The history of the page's period (the default 12 weeks to today), as the API answers it.
    const p = await periodOf(admin);
    const daily = await api<DeadLetterDay>(`/v1/dead-letters/daily?from=${p.from}&to=${p.to}`);
    expect(await tableCells(admin, 'dead-letters-daily')).toEqual(
      daily.rows.map((d) => ({
        day: d.day,
        stage: d.stage,
        source: d.source,
        reason_code: d.reason_code,
        count: String(d.count),
      })),
    );
    // By hand: two invalid_field and one malformed_json first rejected on 09-15, one malformed_json on 09-17.
    expect(daily.rows.map((d) => [d.day, d.reason_code, d.count])).toEqual([
      ['2026-09-15', 'invalid_field', 2],
      ['2026-09-15', 'malformed_json', 1],
      ['2026-09-17', 'malformed_json', 1],
    ]);
    expect(await admin.locator('[role=img][aria-label^="New rejected inputs per day by reason"]').count()).toBe(1);
    expect(await admin.locator('[role=img][aria-label^="New rejected inputs per day by source"]').count()).toBe(1);
    const imports = (await api<{ kind: string; version: string }>('/v1/imports?limit=100')).rows;
    expect((await tableCells(admin, 'imports')).map((c) => `${c.kind}:${c.version}`)).toEqual(
      imports.map((r) => `${r.kind}:${r.version}`),
    );
    await shot(admin, 'health');
    await open(admin, 'outcomes');
    expect(await admin.textContent('main')).toContain('no outcome data yet');
    await shot(admin, 'outcomes');
  });

  test('page views are in the audit log with the token id, never the token', async () => {
    await open(admin, `schools?from=${PERIOD.from}&to=${PERIOD.to}`);
    const tokenId = createHash('sha256').update(h.tokens.admin).digest('hex').slice(0, 12);
    // flush() may return a flush already on its way, taken before this view was recorded: flush again until it is stored.
    const rows = await waitFor(
      async () => {
        await h.api.audit.flush();
        return queryRows<{ token_id: string; role: string; route: string; params: string; status: number }>(
          h.ch,
          `SELECT token_id, role, route, params, status FROM api_audit_log WHERE route = '/dashboard/schools'`,
        );
      },
      (r) => r.some((row) => row.token_id === tokenId),
      { what: 'the page view in the audit log', timeoutMs: 15_000 },
    ).catch(() => []);
    expect(rows).toContainEqual(
      expect.objectContaining({ token_id: tokenId, role: 'admin', route: '/dashboard/schools', status: 200 }),
    );
    expect(rows.find((r) => r.token_id === tokenId)!.params).toContain(PERIOD.from);
    const all = await queryRows<{ params: string }>(h.ch, 'SELECT params FROM api_audit_log');
    expect(all.some((r) => r.params.includes(h.tokens.admin))).toBe(false);
  });

  test('every table downloads as CSV with the numbers shown', async () => {
    await open(admin, `apps?from=${PERIOD.from}&to=${PERIOD.to}`);
    for (const id of ['apps', 'unresolved-apps']) {
      const [download] = await Promise.all([admin.waitForEvent('download'), admin.locator(`#t-${id} a.csv`).click()]);
      const csv = readFileSync((await download.path())!, 'utf8')
        .trim()
        .split('\n');
      const cells = await tableCells(admin, id);
      // The CSV has the columns shown, and a name beside an id shown by its name (here: no name, the id).
      const header = csv[0]!.split(',');
      const shown = header.map((column, i) => (column in cells[0]! ? i : -1)).filter((i) => i >= 0);
      expect(header.filter((_, i) => !shown.includes(i))).toEqual(id === 'apps' ? ['app_name'] : []);
      expect(shown.map((i) => header[i])).toEqual(Object.keys(cells[0]!));
      const records = csv.slice(1).map((l) => l.split(','));
      expect(records.map((r) => shown.map((i) => r[i]))).toEqual(cells.map((c) => Object.values(c)));
      if (id === 'apps') expect(records.map((r) => r[1])).toEqual(records.map((r) => r[0]));
    }
  });
});

describe('roles, sessions and bad input in the browser', () => {
  test('a school token sees only its own school', async () => {
    const { page, context } = await signIn(browser, base, h.tokens.school);
    expect(page.url()).toContain('/dashboard/schools');
    expect(await page.textContent('h1')).toBe('School sA1');
    expect(await page.getByRole('link', { name: 'Overview' }).count()).toBe(0);
    await open(page, 'overview', 403);
    await open(page, `schools?school=sA2&from=${PERIOD.from}&to=${PERIOD.to}`, 403);
    expect(await page.textContent('[role=alert]')).toContain('only its own school');
    expect(await page.locator('table').count()).toBe(0);
    await context.close();
  });

  test('a researcher reaches no class cells (only the k-suppressed research views)', async () => {
    const { page, context } = await signIn(browser, base, h.tokens.researcher);
    expect(page.url()).toContain('/dashboard/research');
    // The listing is the API's: every dataset with its path.
    const listing = await api<never>('/v1/research', h.tokens.researcher);
    const datasets = listing.datasets as { name: string; description: string; path: string }[];
    expect(datasets.length).toBeGreaterThan(0);
    expect(await tableCells(page, 'datasets')).toEqual(
      datasets.map((d) => ({ name: d.name, description: d.description, path: d.path })),
    );
    // The weekly rows of the seeded week equal the API's answer, cell by cell (null = suppressed = '').
    const week = { from: '2026-09-14', to: '2026-09-20' };
    await open(page, `research?from=${week.from}&to=${week.to}`);
    const weekly = await api<Record<string, string | number | null>>(
      `/v1/research/weekly/weekly_app_usage_school?from=${week.from}&to=${week.to}`,
      h.tokens.researcher,
    );
    // The seed (harness seedResearch): dA's sA1 with 12 students, sA2 suppressed.
    expect(weekly.rows.map((r) => [r.school_id, r.active_students])).toEqual([
      ['sA1', 12],
      ['sA2', null],
    ]);
    const cells = await tableCells(page, 'weekly_app_usage_school');
    expect(cells).toEqual(
      weekly.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? '' : String(v)]))),
    );
    const suppressedRow = page.locator('table[data-table="weekly_app_usage_school"] tbody tr').nth(1);
    expect(await suppressedRow.locator('td[data-col="active_students"]').textContent()).toBe('suppressed');
    // Outcome bands (every school year) equal the API's rows; by hand (seedResearch): dA's one band of 11.
    const bands = await api<Record<string, string | number | null>>('/v1/research/outcome-bands', h.tokens.researcher);
    expect(await tableCells(page, 'outcome_bands')).toEqual(
      bands.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? '' : String(v)]))),
    );
    expect(bands.rows.map((r) => [r.app_id, r.band, r.students])).toEqual([['appa1', 'at_goal', 11]]);
    expect(await page.textContent('main')).not.toContain('not yet');
    // A download of a week with no row still has the table's header (the stored columns, not a row's keys).
    const download = async (from: string, to: string) => {
      const r = await page.request.get(
        `${base}/dashboard/research?from=${from}&to=${to}&download=weekly_app_usage_school`,
      );
      expect(r.status()).toBe(200);
      return (await r.text()).split('\n').filter((l) => l.length > 0);
    };
    const full = await download(week.from, week.to);
    expect(full.length).toBe(3);
    expect(await download('2001-01-01', '2001-01-07')).toEqual([full[0]]);
    await shot(page, 'research');
    for (const p of [
      'overview',
      'apps',
      `schools?school=sA1&class=cA1&from=${PERIOD.from}&to=${PERIOD.to}`,
      'health',
      'outcomes?app=app-c3&assessment=map_growth&subject=math',
    ]) {
      await open(page, p, 403);
      expect(await page.locator('table').count()).toBe(0);
      expect(await page.content()).not.toContain('appa1');
    }
    await context.close();
  });

  test("another district's token sees nothing of this district", async () => {
    const { page, context } = await signIn(browser, base, h.tokens.foreign);
    const seen: string[] = [];
    for (const p of ['overview', 'apps', 'licenses', 'schools', 'health']) {
      await open(page, `${p}?from=${PERIOD.from}&to=${PERIOD.to}`);
      seen.push(await page.content());
    }
    const all = seen.join('\n');
    expect(all).toContain('appb1');
    for (const id of ['appa1', 'appa2', 'sA1', 'sA2', 'cA1', 'L-A1', 'unknown.example']) expect(all).not.toContain(id);
    await open(page, `schools?school=sA1&from=${PERIOD.from}&to=${PERIOD.to}`, 404);
    expect(await page.textContent('[role=alert]')).toContain('unknown school');
    await context.close();
  });

  test('bad input in the URL: a clear message naming the field, never a stack trace', async () => {
    const cases: [string, number, RegExp][] = [
      ['apps?app=no-such-app', 404, /app: no use of "no-such-app"/],
      ['apps?app=%3Cscript%3E', 400, /app: must be 1-128 characters/],
      ['schools?school=sB1', 404, /school: no use at school "sB1"/],
      ['overview?from=2026-09-30&to=2026-09-01', 400, /to: must not be before from/],
      ['overview?from=2006-01-01&to=2026-01-01', 400, /to: the period may span at most 366 days/],
      ['overview?from=2026-02-30', 400, /from: is not a calendar day/],
      ['overview?to=tomorrow', 400, /to: must be a date YYYY-MM-DD/],
      ['overview?freshness=stale', 400, /freshness: .*compacted/],
      ['overview?color=red', 400, /color: unknown parameter/],
      ['overview?from=2026-09-01&from=2026-09-02', 400, /from: given more than once/],
      ['overview?download=nope', 404, /download: this page has no table "nope"/],
      ['licenses?license=nope', 404, /license: no license "nope" in district dA/],
      ['licenses?license=%3Cx%3E', 400, /license: must be 1-128 characters/],
    ];
    for (const [url, status, message] of cases) {
      await open(admin, url, status);
      expect(await admin.textContent('[role=alert]')).toMatch(message);
    }
    await shot(admin, 'bad-input');
  });

  test('session cookie is HttpOnly and SameSite=Strict; sign-out needs the form; a bad token is refused', async () => {
    const { page, context } = await signIn(browser, base, h.tokens.director);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'eds_session', httpOnly: true, sameSite: 'Strict', path: '/dashboard' });
    expect(await page.evaluate('document.cookie')).toBe('');
    // Keyboard: the first Tab reaches the skip link, and every page link is reachable.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    // Sign-out without the form's CSRF token, or from another origin, is refused.
    const forged = await h.api.app.inject({
      method: 'POST',
      url: '/dashboard/sign-out',
      headers: {
        cookie: `eds_session=${cookie!.value}`,
        origin: base,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: 'csrf=wrong',
    });
    expect(forged.statusCode).toBe(403);
    const crossSite = await h.api.app.inject({
      method: 'POST',
      url: '/dashboard/sign-in',
      headers: { origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${h.tokens.admin}`,
    });
    expect(crossSite.statusCode).toBe(403);
    expect(crossSite.headers['set-cookie']).toBeUndefined();
    await Promise.all([page.waitForURL(/sign-in/), page.getByRole('button', { name: 'Sign out' }).click()]);
    await page.goto(`${base}/dashboard/overview`);
    expect(page.url()).toContain('/dashboard/sign-in');
    // The old session id no longer works either.
    const replay = await h.api.app.inject({
      method: 'GET',
      url: '/dashboard/overview',
      headers: { cookie: `eds_session=${cookie!.value}` },
    });
    expect(replay.statusCode).toBe(303);

    await page.getByLabel('API token').fill('eds_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await page.textContent('[role=alert]')).toContain('unknown, revoked or mistyped');
    await shot(page, 'sign-in');
    expect(await a11yViolations(page)).toEqual([]); // the sign-in page, with its error, is checked too
    await context.close();
  });

  test('a revoked token ends its sessions at the next page', async () => {
    const { token } = await h.api.tokens.create({ districtId: 'dA', role: 'director', name: 'to revoke' });
    const { page, context } = await signIn(browser, base, token);
    const entry = (await h.api.tokens.list('dA')).find((t) => t.name === 'to revoke')!;
    await h.api.tokens.revoke(entry.token_id, 'dA');
    await page.goto(`${base}/dashboard/overview`);
    expect(page.url()).toContain('/dashboard/sign-in');
    await context.close();
  });
});

/**
 * District dC, for how pages look and count at size: 50 schools, apps with 60-character ids, four weeks
 * of use; and dE, a district with nothing at all (empty states). Numbers still checked against the API.
 */
describe('layouts at size and empty', () => {
  const LONG = 'an-application-with-a-very-long-catalog-identifier-number';
  const apps = [1, 2, 3, 4, 5, 6, 7].map((n) => (n <= 2 ? `${LONG}-${n}` : `app-c${n}`));
  const days = ['2026-08-24', '2026-08-31', '2026-09-07', '2026-09-14', '2026-09-15'];

  beforeAll(async () => {
    const events: SeedEvent[] = [];
    for (let s = 1; s <= 50; s++)
      for (let p = 1; p <= (s % 7) + 1; p++)
        days.forEach((day, d) => {
          const app = apps[(s + p + d) % apps.length]!;
          events.push({
            district: 'dC',
            day,
            minute: p,
            person: `pC${s}-${p}`,
            role: 'student',
            school: `school-${String(s).padStart(2, '0')}`,
            class: `class-${s}-${p % 3}`,
            app,
            appResolved: true,
            personResolved: true,
            seconds: 60 * ((s + p) % 20),
          });
        });
    const topic = 'seed-dc.enriched';
    const rows = events.map((e, i) =>
      usageEventRow(enriched(e, 100_000 + i), { topic, partition: 0, offset: String(i) }, '2026-09-17 00:00:00'),
    );
    await insertRows(h.ch, 'usage_events', rows);
    await deriveRollups(h.ch, topic, 0, BigInt(rows.length));
  });

  test('50 schools and long app names', async () => {
    const { token } = await h.api.tokens.create({ districtId: 'dC', role: 'admin', name: 'layout' });
    const { page, context } = await signIn(browser, base, token);
    const token50 = token;
    await open(page, 'overview');
    const p = await periodOf(page);
    const usage = await api<UsageRow>(`/v1/usage/district?from=${p.from}&to=${p.to}`, token50);
    expect(usage.rows).toHaveLength(7);
    expectUsage(await tableCells(page, 'top-apps'), usage.rows);
    // dC's events never say their network: the key figure says so rather than "0 % on campus".
    expect(await page.textContent('.kpis')).toContain('Engaged time on campusnot known');
    await shot(page, 'overview-50-schools');
    await open(page, 'apps');
    expectUsage(await tableCells(page, 'apps'), usage.rows);
    await shot(page, 'apps-50-schools');
    await open(page, 'schools');
    const schools = await tableCells(page, 'schools');
    expect(schools).toHaveLength(50);
    const rows = (await api<UsageRow>(`/v1/usage/schools?from=${p.from}&to=${p.to}`, token50)).rows;
    for (const c of schools)
      expect(Number(c.events)).toBe(sumOf(rows.filter((r) => r.school_id === c.id).map((r) => r.events)));
    await shot(page, 'schools-50');
    // No horizontal scrolling of the page itself: wide tables scroll in their own region.
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await context.close();
  });

  test('licenses at size: every column of the license table visible at 1280 px', async () => {
    // Long app ids and licenses with three flags each (expensive, little used, many unused seats).
    await seedLicenses(h.ch, 'dC', [
      `lic-${LONG}-1,${LONG}-1,A Vendor With A Long Name,dC,900,25000,flat,USD,2026-07-01,2027-06-30`,
      `lic-${LONG}-2,${LONG}-2,A Vendor With A Long Name,dC,800,18000,flat,USD,2026-07-01,2027-06-30`,
      'lic-c3,app-c3,Vendor C,school-03,40,30,per_seat,USD,2026-07-01,2027-06-30',
    ]);
    const { token } = await h.api.tokens.create({ districtId: 'dC', role: 'director', name: 'licenses at size' });
    const { page, context } = await signIn(browser, base, token);
    await open(page, 'licenses?from=2026-08-24&to=2026-09-15');
    const lic = await api<{ license_id: string; flags: string[] }>(
      '/v1/licenses?window=2026-08-24..2026-09-15&as_of=2026-09-15',
      token,
    );
    expect(lic.rows.find((l) => l.license_id === `lic-${LONG}-1`)!.flags.length).toBeGreaterThanOrEqual(3);
    expect((await tableCells(page, 'licenses')).map((c) => c.flags)).toEqual(lic.rows.map((l) => l.flags.join(' ')));
    await shot(page, 'licenses-at-size');
    // The table fits its region: nothing (the Flags column last) is cut off or needs scrolling.
    const fits = await page.$eval('#t-licenses .scroll', (el) => el.scrollWidth <= el.clientWidth);
    expect(fits).toBe(true);
    const flagsRight = await page.$eval('table[data-table="licenses"] thead th:last-child', (th) =>
      Math.round(th.getBoundingClientRect().right),
    );
    expect(flagsRight).toBeLessThanOrEqual(1280);
    await context.close();
  });

  test('outcomes: growth by usage band with CIs, regression and verdict equal the analysis; small groups suppressed', async () => {
    // A pre and a post test for every dC student (ids as the seed's pseudonyms: sha256, 32 hex).
    const pseudonym = (p: string) => createHash('sha256').update(p).digest('hex').slice(0, 32);
    const students: { person: string; pre: number; growth: number }[] = [];
    for (let s = 1; s <= 50; s++)
      for (let p = 1; p <= (s % 7) + 1; p++)
        students.push({ person: `pC${s}-${p}`, pre: 190 + (s % 5) * 4, growth: ((s * 7 + p * 3) % 11) - 2 });
    const result = (person: string, day: string, score: number) =>
      assessmentRow(pseudonym(person), day, score, { district_id: 'dC', grade: '05' });
    await insertRows(
      h.ch,
      'assessment_results',
      students.flatMap((st) => [
        result(st.person, '2026-08-20', st.pre),
        result(st.person, '2026-09-16', st.pre + st.growth),
      ]),
    );
    // The roster places each student in their school (the analysis reads schools from the roster).
    await insertRows(
      h.ch,
      'dim_people',
      students.map((st) => {
        const school = `school-${st.person.slice(2).split('-')[0]!.padStart(2, '0')}`;
        return {
          district_id: 'dC',
          roster_version: 'rC',
          person_id: pseudonym(st.person),
          role: 'student',
          grade: '05',
          school_id: school,
          school_ids: [school],
          enabled: 1,
          status: 'active',
        };
      }),
    );
    await insertRows(h.ch, 'dim_roster_versions', [
      {
        district_id: 'dC',
        roster_version: 'rC',
        imported_ms: 1,
        imported_at: '2026-09-01 00:00:00',
        oneroster_version: '1.1',
        orgs: 50,
        classes: 0,
        people: students.length,
        enrollments: 0,
      },
    ]);
    const { token } = await h.api.tokens.create({ districtId: 'dC', role: 'director', name: 'outcomes' });
    const { page, context } = await signIn(browser, base, token);
    await open(page, 'outcomes');
    expect(await page.textContent('main')).toContain('outcomes import');
    const q = { app: 'app-c3', assessment: 'map_growth', subject: 'math', from: '2026-08-01', to: '2026-09-30' };
    await open(page, `outcomes?${new URLSearchParams(q).toString()}`);
    const a = await analyze(h.ch, { districtId: 'dC', ...q });
    expect(a.students).toBe(students.length); // by hand: every student has both tests
    expect(await page.textContent('main')).toContain(`${students.length} students with a pre and a post test`);
    const district = a.groups.find((g) => g.dimension === 'district')!;
    const bands = await tableCells(page, 'goal-bands');
    expect(bands.map((b) => b.band)).toEqual(district.goalBands.map((b) => b.band));
    bands.forEach((c, i) => {
      const b = district.goalBands[i]!;
      expect(c.n).toBe(b.n === null ? '' : String(b.n));
      if (b.growth) {
        expect(Number(c.growth)).toBeCloseTo(b.growth.mean, 2);
        expect(Number(c.ci_low)).toBeCloseTo(b.growth.ciLow, 2);
        expect(Number(c.ci_high)).toBeCloseTo(b.growth.ciHigh, 2);
      }
    });
    // The mean growth over all bands, by hand from the scores written above.
    const shownN = district.goalBands.reduce((t, b) => t + (b.n ?? 0), 0);
    expect(shownN).toBeLessThanOrEqual(students.length);
    expect(await page.textContent('.verdict')).toBe(district.verdict.text);
    const regression = (await tableCells(page, 'regressions'))[0]!;
    const fitted = district.regressions[0]!;
    expect(fitted.ok).toBe(true);
    if (fitted.ok) expect(Number(regression.estimate)).toBeCloseTo(fitted.value.estimate, 4);
    // The binned scatter: the analysis's bins, and the same bins computed here from the seed's meaning.
    // Minutes a week of app-c3 between the tests (2026-08-20 .. 2026-09-16: 27 days): on each seeded day
    // whose app is app-c3, the event's seconds (a one-minute page view when 0).
    const weeksBetween = 27 / 7;
    const usage = students.map((st) => {
      const [sch, p] = st.person.slice(2).split('-').map(Number) as [number, number];
      const seconds =
        days.filter((_, d) => apps[(sch + p + d) % apps.length] === 'app-c3').length * (60 * ((sch + p) % 20) || 60);
      return { id: pseudonym(st.person), minutes: seconds / 60 / weeksBetween, growth: st.growth };
    });
    usage.sort((x, y) => x.minutes - y.minutes || x.id.localeCompare(y.id));
    const binCount = Math.min(20, Math.floor(usage.length / a.k));
    const byHand = Array.from({ length: binCount }, (_, i) =>
      usage.slice(Math.floor((i * usage.length) / binCount), Math.floor(((i + 1) * usage.length) / binCount)),
    );
    const binCells = await tableCells(page, 'usage-bins');
    expect(district.binned.ok).toBe(true);
    if (district.binned.ok)
      expect(binCells.map((b) => Number(b.n))).toEqual(district.binned.value.bins.map((b) => b.n));
    expect(binCells.map((b) => Number(b.n))).toEqual(byHand.map((b) => b.length));
    expect(binCells.every((b) => Number(b.n) >= a.k)).toBe(true);
    const evidence = await api(`/v1/outcomes/evidence?${new URLSearchParams(q).toString()}`, token);
    const apiBins = (evidence.usage_bins as { bins: { n: number; meanGrowth: number }[] }).bins;
    expect(binCells.map((b) => [Number(b.n), Number(b.mean_growth)])).toEqual(
      apiBins.map((b) => [b.n, Math.round(b.meanGrowth * 10_000) / 10_000]),
    );
    binCells.forEach((c, i) => {
      expect(Number(c.mean_minutes)).toBeCloseTo(sumOf(byHand[i]!.map((x) => x.minutes)) / byHand[i]!.length, 2);
      expect(Number(c.mean_growth)).toBeCloseTo(sumOf(byHand[i]!.map((x) => x.growth)) / byHand[i]!.length, 4);
    });
    expect(await page.locator('[role=img][aria-label^="Mean growth against mean minutes a week"]').count()).toBe(1);
    expect(await page.textContent('main')).toContain('Not a point per student');
    // Every school has 1 to 7 students (< k = 10): none is shown, all are counted as suppressed.
    expect((await tableCells(page, 'groups')).filter((g) => g.dimension === 'school')).toEqual([]);
    expect((await tableCells(page, 'groups')).every((g) => Number(g.n) >= a.k)).toBe(true);
    expect(Object.fromEntries((await tableCells(page, 'hidden')).map((r) => [r.dimension, r.count])).school).toBe('50');
    await shot(page, 'outcomes-analysis');
    await open(page, 'outcomes?app=app-c3&assessment=map_growth&subject=%3Cx%3E', 400);
    expect(await page.textContent('[role=alert]')).toContain('subject: must be 1-128 characters');
    await context.close();
  });

  test('a district with no data yet: every page says so instead of showing zeros as data', async () => {
    const { token } = await h.api.tokens.create({ districtId: 'dE', role: 'admin', name: 'empty' });
    const { page, context } = await signIn(browser, base, token);
    for (const slug of ['overview', 'apps', 'licenses', 'schools', 'health']) {
      await open(page, slug);
      expect(await page.locator('p.empty').count()).toBeGreaterThan(0);
      await shot(page, `empty-${slug}`);
    }
    expect(await page.textContent('main')).toContain('No dead letters');
    await context.close();
  });
});

// Last in the file: it compacts the rollups and folds an event of dA after that.
describe('freshness after a compaction', () => {
  test('a compacted page leaves out what was folded since; the live page has it', async () => {
    await compactRollups(h.ch);
    // A later run with nothing new: the compaction's check moves past its recording time.
    await sleep(1_100);
    await compactRollups(h.ch);
    const topic = 'seed-fresh.enriched';
    const event: SeedEvent = {
      district: 'dA',
      day: PERIOD.from,
      minute: 50,
      person: 'pA9',
      role: 'student',
      school: 'sA1',
      class: 'cA1',
      app: 'appa1',
      appResolved: true,
      personResolved: true,
      seconds: 120,
    };
    await insertRows(h.ch, 'usage_events', [
      usageEventRow(enriched(event, 200_000), { topic, partition: 0, offset: '0' }, '2026-09-17 00:00:00'),
    ]);
    await deriveRollups(h.ch, topic, 0, 1n);
    const period = `from=${PERIOD.from}&to=${PERIOD.to}`;
    const both = async <T>(url: string) => {
      const [compacted, live] = [await api<T>(`${url}&freshness=compacted`), await api<T>(`${url}&freshness=live`)];
      expect([url, live.rows]).not.toEqual([url, compacted.rows]);
      expect([url, (await api<T>(url)).rows]).toEqual([url, compacted.rows]); // the default
      return { compacted: compacted.rows, live: live.rows };
    };
    const usage = await both<UsageRow>(`/v1/usage/district?${period}`);
    const weekly = await both<{ week_to: string; events: number }>(`/v1/usage/weekly?${period}`);
    const licenses = await both<{ license_id: string; active: number }>(
      `/v1/licenses?window=${PERIOD.from}..${PERIOD.to}&as_of=${PERIOD.to}`,
    );
    const weeklyEvents = async () =>
      (await tableCells(admin, 'weekly-hours')).map((w) => [w.week_to, Number(w.events)]).slice(-1);
    const licenseActive = async () =>
      (await tableCells(admin, 'licenses')).map((c) => [c.license_id, Number(c.active)]);
    for (const fresh of ['compacted', 'live'] as const) {
      const choice = `&freshness=${fresh}`;
      await open(admin, `overview?${period}${choice}`);
      expectUsage(await tableCells(admin, 'top-apps'), usage[fresh].slice(0, 10));
      // A table's download says, as the API's CSV does, the period and freshness and what it went by.
      const download = await admin.request.get(`${base}/dashboard/overview?${period}${choice}&download=top-apps`);
      expect(download.status()).toBe(200);
      const downloadMeta = JSON.parse(download.headers()['edusage-meta'] ?? 'null') as Record<string, unknown>;
      expect(downloadMeta).toMatchObject({ page: 'overview', table: 'top-apps', ...PERIOD, freshness: fresh });
      const asked = await api<UsageRow>(`/v1/usage/district?${period}${choice}`);
      expect([downloadMeta.compactions, downloadMeta.months_not_compacted]).toEqual([
        asked.compactions,
        asked.months_not_compacted,
      ]);
      expect(await weeklyEvents()).toEqual(weekly[fresh].map((w) => [w.week_to, w.events]).slice(-1));
      if (fresh === 'compacted') {
        expect(await admin.getAttribute('a[href*="download=top-apps"]', 'href')).toContain('freshness=compacted');
        // The note names the compaction the API's answer went by, and until when it was checked.
        const meta = await api<UsageRow>(`/v1/usage/district?${period}&freshness=compacted`);
        const [september] = meta.compactions as { month: number; compacted_at: string; checked_at: string }[];
        expect(september!.checked_at > september!.compacted_at).toBe(true);
        const shown = (t: string) => `${t.slice(0, 10)} ${t.slice(11, 16)} UTC`;
        expect(await admin.textContent('p.freshness-note')).toContain(
          `2026-09 as compacted ${shown(september!.compacted_at)}, checked complete as of ${shown(september!.checked_at)}`,
        );
        // A page whose reads never go through compactions says nothing of them.
        await open(admin, `health?${period}${choice}`);
        expect(await admin.locator('p.freshness-note').count()).toBe(0);
        // Its form offers no choice, and keeps the one made for the next page.
        expect(await admin.locator('select[name=freshness]').count()).toBe(0);
        expect(await admin.inputValue('form.period input[type=hidden][name=freshness]')).toBe('compacted');
        // …nor does its download: it says live, as read, though compacted was asked.
        const health = await admin.request.get(`${base}/dashboard/health?${period}${choice}&download=dead-letters`);
        expect(JSON.parse(health.headers()['edusage-meta'] ?? 'null')).toEqual({
          page: 'health',
          table: 'dead-letters',
          ...PERIOD,
          freshness: 'live',
        });
      } else expect(await admin.locator('p.freshness-note').count()).toBe(0);
      await open(admin, `licenses?${period}${choice}`);
      expect(await licenseActive()).toEqual(licenses[fresh].map((r) => [r.license_id, r.active]));
    }
    // A page whose address names no freshness reads as of the compactions, and notes it.
    await open(admin, `overview?${period}`);
    expectUsage(await tableCells(admin, 'top-apps'), usage.compacted.slice(0, 10));
    expect(await admin.locator('p.freshness-note').count()).toBe(1);
  });
});
