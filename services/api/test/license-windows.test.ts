/**
 * License windows over the API: a window the report cannot take (reversed, not a calendar day, longer
 * than MAX_PERIOD_DAYS, `term` with no license in force or reaching back more than MAX_PERIOD_DAYS) is
 * a 400 naming `window` on every license endpoint, refused before any ClickHouse query where the spec
 * alone says so. And a license not in
 * force in the window (dA's L-A2 ended 2026-10-01) is in none of the figures the dashboard's
 * Licenses page sums, only in the findings as `not_in_force`.
 */
import { seedLicenses, startHarness, type Harness } from './harness';

let h: Harness;
/** Admin of dT, whose one license runs three years (2024-07-01 to 2027-06-30). */
let longTerm: string;
let queries: string[] = [];
beforeAll(async () => {
  h = await startHarness('api_license_windows');
  await seedLicenses(h.ch, 'dT', ['L-T1,appt1,VendorT,dT,10,3000,flat,USD,2024-07-01,2027-06-30']);
  longTerm = (await h.api.tokens.create({ districtId: 'dT', role: 'admin', name: 'long term' })).token;
  const query = h.api.deps.ch.query.bind(h.api.deps.ch);
  h.api.deps.ch.query = ((params: { query: string }) => {
    queries.push(params.query);
    return query(params as never);
  }) as typeof h.api.deps.ch.query;
}, 180_000);
beforeEach(() => {
  queries = [];
});
afterAll(async () => h?.close());

const ENDPOINTS = ['/v1/licenses', '/v1/licenses/schools', '/v1/licenses/findings'];

async function expectWindow400(query: string, message: RegExp, token = h.tokens.admin) {
  for (const e of ENDPOINTS) {
    const res = await h.get(`${e}?${query}`, token);
    const body = res.json as { error?: string; issues?: { field: string; message: string }[] };
    expect({ url: `${e}?${query}`, status: res.status, body }).toEqual({
      url: `${e}?${query}`,
      status: 400,
      body: { error: 'invalid_request', issues: [{ field: 'query.window', message: expect.stringMatching(message) }] },
    });
  }
}

test.each([
  ['a reversed window', 'window=2026-10-01..2026-09-01', /the end 2026-09-01 is before the start 2026-10-01/],
  ['a day that does not exist', 'window=2026-02-30..2026-03-01', /2026-02-30 is not a calendar day/],
  ['a month that does not exist', 'window=2026-09-01..2026-13-01', /2026-13-01 is not a calendar day/],
  ['2000-01-01..2099-12-31', 'window=2000-01-01..2099-12-31', /at most 366 days/],
  ['367 days', 'window=2025-09-15..2026-09-16', /at most 366 days/],
  ['367d', 'window=367d', /1d to 366d/],
  ['a day before 2000', 'window=1999-12-31..2000-01-05', /2000-01-01/],
])('%s is a 400 naming the window, before any query', async (_what, query, message) => {
  await expectWindow400(query, message);
  expect(queries).toEqual([]);
});

test('366 days is the longest window', async () => {
  for (const q of ['window=2025-09-17..2026-09-17', 'window=366d&as_of=2026-09-17']) {
    const res = await h.get(`/v1/licenses?${q}`, h.tokens.admin);
    expect({ q, status: res.status }).toEqual({ q, status: 200 });
  }
});

test('window=term with no license in force on the as-of day is a 400 naming the window', async () => {
  await expectWindow400('window=term&as_of=2026-06-15', /term.*no license/);
  const res = await h.get('/v1/licenses?window=term&as_of=2026-09-16', h.tokens.admin);
  expect(res.status).toBe(200);
  expect((res.json as { from: string }).from).toBe('2026-07-01');
});

test('window=term reaching back more than 366 days is a 400 naming the window, before the usage is read', async () => {
  // dT's term to 2026-09-16 starts 2024-07-01: 808 days.
  await expectWindow400('window=term&as_of=2026-09-16', /^the window may span at most 366 days$/, longTerm);
  // Only the licenses (the term's start) and the freshness were read, no usage.
  expect(queries.some((q) => /FROM licenses_current\b/.test(q))).toBe(true);
  expect(
    queries.filter(
      (q) => !/FROM (licenses_current|rollup_compactions_v2|rollup_compaction_checks_v2|system\.parts)\b/.test(q),
    ),
  ).toEqual([]);
  // 2024-07-01..2025-06-30: 365 days.
  const res = await h.get('/v1/licenses?window=term&as_of=2025-06-30', longTerm);
  expect(res.status).toBe(200);
  expect(res.json).toMatchObject({ from: '2024-07-01', to: '2025-06-30', rows: [{ license_id: 'L-T1' }] });
});

test('a license whose term ended before the window is in no figure of the table, only a finding', async () => {
  const q = 'window=2026-10-05..2026-10-20&as_of=2026-10-20';
  const table = (await h.get(`/v1/licenses?${q}`, h.tokens.admin)).json as {
    rows: { license_id: string; idle_cost: number; unused_seats: number | null }[];
  };
  // L-A1 (10 seats, $1000, no use in October): all idle; L-A2 (ended 2026-10-01) nowhere.
  expect(table.rows.map((r) => [r.license_id, r.idle_cost, r.unused_seats])).toEqual([['L-A1', 1000, 10]]);
  const schools = (await h.get(`/v1/licenses/schools?${q}`, h.tokens.admin)).json as { rows: { license_id: string }[] };
  expect([...new Set(schools.rows.map((r) => r.license_id))]).toEqual(['L-A1']);
  const findings = (await h.get(`/v1/licenses/findings?${q}`, h.tokens.admin)).json as {
    rows: { finding: string; license_id: string; detail: string }[];
  };
  expect(findings.rows.filter((r) => r.license_id === 'L-A2')).toEqual([
    expect.objectContaining({ finding: 'not_in_force', license_id: 'L-A2', detail: 'term ended 2026-10-01' }),
  ]);
});

test('two licenses of one app covering the same people are a finding on each, with the seats together', async () => {
  await seedLicenses(h.ch, 'dO', [
    'L-O1,appo,VendorA,dO,100,1000,flat,USD,2026-07-01,2027-06-30',
    'L-O2,appo,VendorB,dO,50,500,flat,USD,2026-08-01,2027-07-31',
  ]);
  const token = (await h.api.tokens.create({ districtId: 'dO', role: 'admin', name: 'overlap' })).token;
  const res = await h.get('/v1/licenses/findings?window=2026-07-01..2026-09-30&as_of=2026-09-30', token);
  expect(res.status).toBe(200);
  const rows = (res.json as { rows: { finding: string; license_id: string; detail: string }[] }).rows;
  expect(rows.filter((r) => r.finding === 'overlapping').map((r) => [r.license_id, r.detail])).toEqual([
    ['L-O1', 'with L-O2 from 2026-08-01 to 2026-09-30: seats together 150, users counted by each'],
    ['L-O2', 'with L-O1 from 2026-08-01 to 2026-09-30: seats together 150, users counted by each'],
  ]);
});
