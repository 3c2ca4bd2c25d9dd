/**
 * What the dashboard's figures say they are (on the real ClickHouse and Redis, pages through the API's
 * server): the users of an unresolved app, and weeks the period cuts short.
 */
import { insertRows } from '@edusage/clickhouse';
import { deriveRollups, usageEventRow } from '@edusage/aggregate';
import { enriched, startHarness, type Harness, type SeedEvent } from './harness';

jest.setTimeout(120_000);

let h: Harness;

/**
 * App `foo` on 2026-09-15, as after a catalog import that resolved an id enrich first kept as given:
 * 5 unresolved events of pF1..pF5, then 35 resolved events of pF1..pF16 (16 people in all).
 */
function fooEvents(): SeedEvent[] {
  const event = (i: number, person: number, appResolved: boolean): SeedEvent => ({
    district: 'dA',
    day: '2026-09-15',
    minute: i % 60,
    person: `pF${person}`,
    role: 'student',
    school: 'sA1',
    class: null,
    app: 'foo',
    appResolved,
    personResolved: true,
    seconds: 60,
  });
  return [
    ...Array.from({ length: 5 }, (_, i) => event(i, i + 1, false)),
    ...Array.from({ length: 35 }, (_, i) => event(5 + i, (i % 16) + 1, true)),
  ];
}

beforeAll(async () => {
  h = await startHarness('api_meaning');
  const topic = 'meaning.enriched';
  const rows = fooEvents().map((e, i) =>
    // Event numbers past the harness seed's: distinct dedup keys.
    usageEventRow(enriched(e, 10_000 + i), { topic, partition: 0, offset: String(i) }, '2026-09-17 00:00:00'),
  );
  await insertRows(h.ch, 'usage_events', rows);
  await deriveRollups(h.ch, topic, 0, BigInt(rows.length));
});

afterAll(async () => {
  await h?.close();
});

/** Signs `token` in to the dashboard; returns a getter of its pages' HTML. */
async function dashboardAs(token: string) {
  const app = h.api.app;
  const signIn = await app.inject({
    method: 'POST',
    url: '/dashboard/sign-in',
    headers: {
      host: 'edusage.example',
      origin: 'http://edusage.example',
      'content-type': 'application/x-www-form-urlencoded',
    },
    payload: `token=${token}`,
  });
  const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
  return async (url: string) => {
    const res = await app.inject({ method: 'GET', url, headers: { cookie } });
    expect(res.statusCode).toBe(200);
    return res.body;
  };
}

/** A table's cells by column key (data-value), row by row. */
function cells(page: string, id: string): Record<string, string>[] {
  const t = new RegExp(`<table data-table="${id}">([\\s\\S]*?)</table>`).exec(page);
  if (!t) return [];
  const body = /<tbody>([\s\S]*)<\/tbody>/.exec(t[1]!)![1]!;
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((tr) =>
    Object.fromEntries(
      [...tr[1]!.matchAll(/data-col="([^"]*)" data-value="([^"]*)"/g)].map((m) => [
        m[1]!,
        m[2]!.replace(/&amp;/g, '&'),
      ]),
    ),
  );
}

/** The shown text of each cell of a column. */
function shownCells(page: string, id: string, col: string): string[] {
  const t = new RegExp(`<table data-table="${id}">([\\s\\S]*?)</table>`).exec(page)![1]!;
  return [...t.matchAll(new RegExp(`data-col="${col}" data-value="[^"]*"[^>]*>([\\s\\S]*?)</t[hd]>`, 'g'))].map((m) =>
    m[1]!
      .replace(/<[^>]+>/g, '')
      .replace(/\s+/g, ' ')
      .trim(),
  );
}

/** A table's column headers. */
function headers(page: string, id: string): string[] {
  const t = new RegExp(`<table data-table="${id}">([\\s\\S]*?)</table>`).exec(page)![1]!;
  const head = /<thead>([\s\S]*?)<\/thead>/.exec(t)![1]!;
  return [...head.matchAll(/<th[^>]*>([\s\S]*?)<\/th>/g)].map((m) => m[1]!.replace(/\s+/g, ' ').trim());
}

/** The charts of a page: label (its title) and the SVG's drawn text. */
function charts(page: string): { label: string; text: string[] }[] {
  return [...page.matchAll(/<div role="img" aria-label="([^"]*)">([\s\S]*?)<\/div>\s*<figcaption>/g)].map((m) => ({
    label: m[1]!,
    text: [...m[2]!.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]!),
  }));
}

const textOf = (page: string) =>
  page
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

describe('users of an unresolved app', () => {
  const P = 'from=2026-09-01&to=2026-09-16';

  test('the API answers the unresolved events and the app’s people over all its events, and says so', async () => {
    const r = await h.get(`/v1/unresolved/apps?${P}`, h.tokens.admin);
    expect(r.status).toBe(200);
    const foo = (r.json as { rows: { app_id: string; events: number; active_users: number }[] }).rows.find(
      (x) => x.app_id === 'foo',
    );
    // Field name kept (compatibility): 16 = everyone who used foo, not the 5 of its unresolved events.
    expect(foo).toEqual({ app_id: 'foo', events: 5, active_users: 16 });
    const doc = (await h.get('/openapi.json')).json as {
      paths: Record<string, { get: { responses: Record<string, { content: Record<string, { schema: unknown }> }> } }>;
    };
    const schema = doc.paths['/v1/unresolved/apps']!.get.responses['200']!.content['application/json']!.schema as {
      properties: { rows: { items: { properties: Record<string, { description?: string }> } } };
    };
    const fields = schema.properties.rows.items.properties;
    expect(fields.events!.description).toMatch(/unresolved/);
    expect(fields.active_users!.description).toMatch(/all (of )?its events/);
    expect(fields.active_users!.description).toMatch(/resolved ones included/);
  });

  test('the Apps page labels the column as the app’s active users over all its events', async () => {
    const page = await dashboardAs(h.tokens.admin);
    const apps = await page(`/dashboard/apps?${P}`);
    expect(headers(apps, 'unresolved-apps')).toEqual([
      'Unresolved',
      'Active users of the app (all its events)',
      'Unresolved events',
    ]);
    const foo = cells(apps, 'unresolved-apps').find((c) => c.app_id === 'foo');
    expect(foo).toEqual({ app_id: 'foo', events: '5', active_users: '16' });
    expect(textOf(apps)).toMatch(/resolved ones included/);
  });
});

describe('weeks the period cuts short', () => {
  // Weeks ending on 09-16: 09-10..16, 09-03..09, and 09-01..02 (2 days).
  const P = 'from=2026-09-01&to=2026-09-16';
  const weekCharts = (page: string) => charts(page).filter((c) => /week/i.test(c.label));

  test('overview: the trend charts leave out the 2-day first week; the tables show it with its days', async () => {
    const page = await dashboardAs(h.tokens.admin);
    const overview = await page(`/dashboard/overview?${P}`);
    const drawn = weekCharts(overview);
    expect(drawn.map((c) => c.label)).toHaveLength(3);
    for (const c of drawn) {
      expect({ chart: c.label, first: c.text.includes('2026-09-02') }).toEqual({ chart: c.label, first: false });
      expect(c.text).toEqual(expect.arrayContaining(['2026-09-09', '2026-09-16']));
    }
    // The tables keep every week, the partial one with its days (and in the CSV).
    expect(cells(overview, 'weekly-hours').map((w) => [w.week_from, w.week_to, w.week_days])).toEqual([
      ['2026-09-01', '2026-09-02', '2'],
      ['2026-09-03', '2026-09-09', '7'],
      ['2026-09-10', '2026-09-16', '7'],
    ]);
    expect(cells(overview, 'weekly-active').map((w) => [w.week_to, w.week_days])).toEqual([
      ['2026-09-02', '2'],
      ['2026-09-09', '7'],
      ['2026-09-16', '7'],
    ]);
    expect(textOf(overview)).toContain(
      'The first week, 2026-09-01 to 2026-09-02, has only 2 of its 7 days in the period',
    );
    const csv = await page(`/dashboard/overview?${P}&download=weekly-hours`);
    expect(csv.split('\n')[1]).toMatch(/^2026-09-01,2026-09-02,2,/);
  });

  test('app page: its weekly chart leaves out the partial week too', async () => {
    const page = await dashboardAs(h.tokens.admin);
    const app = await page(`/dashboard/apps?${P}&app=appa1`);
    const [c] = weekCharts(app);
    expect(c!.text).not.toContain('2026-09-02');
    expect(c!.text).toEqual(expect.arrayContaining(['2026-09-09', '2026-09-16']));
    expect(cells(app, 'app-weekly').map((w) => w.week_days)).toEqual(['2', '7', '7']);
  });

  test('a period under a week: its one week is drawn, labelled with its days', async () => {
    const page = await dashboardAs(h.tokens.admin);
    const overview = await page('/dashboard/overview?from=2026-09-14&to=2026-09-16');
    const drawn = weekCharts(overview);
    expect(drawn).toHaveLength(3);
    for (const c of drawn) expect(c.text).toContain('2026-09-16 (3 days)');
    // The key figure is the period's 3 days, not a week.
    expect(textOf(overview)).toMatch(/Active users, last 3 days \d/);
    expect(textOf(overview)).not.toContain('Active users, last week');
  });

  test('apps: a week before of fewer than 7 days is not compared (no value, no ▲/▼), and the page says why', async () => {
    const page = await dashboardAs(h.tokens.admin);
    // 10 days: the last week 09-10..16, the week before cut to 09-07..09 (3 days).
    const apps = await page('/dashboard/apps?from=2026-09-07&to=2026-09-16');
    const rows = cells(apps, 'apps');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.users_week_before)).toEqual(rows.map(() => ''));
    for (const shown of shownCells(apps, 'apps', 'users_last_week')) expect(shown).toMatch(/^\d+$/);
    expect(textOf(apps)).toContain('The week before, 2026-09-07 to 2026-09-09, has only 3 of its 7 days in the period');
    // 16 days: both weeks are whole, compared as before.
    const full = await page(`/dashboard/apps?${P}`);
    expect(cells(full, 'apps').every((r) => /^\d+$/.test(r.users_week_before!))).toBe(true);
    for (const shown of shownCells(full, 'apps', 'users_last_week'))
      expect(shown).toMatch(/^\d+ (▲ \+\d+|▼ -\d+|= 0)$/);
  });
});
