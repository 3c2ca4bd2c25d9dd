/**
 * Role × endpoint matrix: every endpoint called with no token, each role of district dA and an admin
 * token of district dB. The expected cells are written here by hand from the documented matrix
 * (services/api/README.md), not read from the code. Allowed answers are checked against the endpoint's
 * response schema; a denied answer must carry nothing but the error (no rows, no counts); the foreign
 * district's answers must not contain a single dA id.
 */
import { queryRows } from '@edusage/clickhouse';
import { ENDPOINTS } from '@edusage/api';
import { waitFor } from '@edusage/testkit';
import { startHarness, type Harness } from './harness';

type Caller = 'none' | 'admin' | 'director' | 'school' | 'researcher' | 'foreign';
const P = 'from=2026-09-14&to=2026-09-16';

interface Row {
  method: 'GET' | 'POST' | 'DELETE';
  route: string;
  /** The request (DELETE: the id is filled in per call). */
  url: string;
  body?: object;
  /** Expected status per caller. */
  expect: Record<Caller, number>;
}

const ok = 200;
// none = no token (401); roles of dA; foreign = admin of dB.
const reports = { none: 401, admin: ok, director: ok, school: 403, researcher: 403, foreign: ok };
const schoolToo = { ...reports, school: ok };
// The research tables: admin, director and researcher of the district; not a school token.
const research = { none: 401, admin: ok, director: ok, school: 403, researcher: ok, foreign: ok };
const adminOnly = { none: 401, admin: ok, director: 403, school: 403, researcher: 403, foreign: ok };

const MATRIX: Row[] = [
  { method: 'GET', route: '/v1/usage/district', url: `/v1/usage/district?${P}`, expect: reports },
  { method: 'GET', route: '/v1/usage/schools', url: `/v1/usage/schools?${P}`, expect: schoolToo },
  { method: 'GET', route: '/v1/usage/classes', url: `/v1/usage/classes?${P}`, expect: schoolToo },
  { method: 'GET', route: '/v1/usage/weekly', url: `/v1/usage/weekly?${P}`, expect: reports },
  { method: 'GET', route: '/v1/usage/campus', url: `/v1/usage/campus?${P}`, expect: reports },
  { method: 'GET', route: '/v1/licenses', url: '/v1/licenses?window=3d&as_of=2026-09-16', expect: reports },
  {
    method: 'GET',
    route: '/v1/licenses/schools',
    url: '/v1/licenses/schools?window=3d&as_of=2026-09-16',
    expect: reports,
  },
  {
    method: 'GET',
    route: '/v1/licenses/findings',
    url: '/v1/licenses/findings?window=3d&as_of=2026-09-16',
    expect: reports,
  },
  { method: 'GET', route: '/v1/licenses/alerts', url: '/v1/licenses/alerts', expect: reports },
  {
    method: 'GET',
    route: '/v1/outcomes/evidence',
    url: `/v1/outcomes/evidence?app=appa1&assessment=map_growth&subject=math&${P}`,
    expect: reports,
  },
  { method: 'GET', route: '/v1/unresolved', url: `/v1/unresolved?${P}`, expect: reports },
  { method: 'GET', route: '/v1/unresolved/apps', url: `/v1/unresolved/apps?${P}`, expect: reports },
  { method: 'GET', route: '/v1/dead-letters', url: '/v1/dead-letters', expect: reports },
  {
    method: 'GET',
    route: '/v1/dead-letters/daily',
    url: '/v1/dead-letters/daily?from=2026-09-01&to=2026-09-17',
    expect: reports,
  },
  { method: 'GET', route: '/v1/imports', url: '/v1/imports', expect: reports },
  { method: 'GET', route: '/v1/names', url: '/v1/names', expect: { ...schoolToo } },
  { method: 'GET', route: '/v1/pipeline/lag', url: '/v1/pipeline/lag', expect: adminOnly },
  {
    method: 'GET',
    route: '/v1/research',
    url: '/v1/research',
    expect: { none: 401, admin: ok, director: ok, school: ok, researcher: ok, foreign: ok },
  },
  {
    method: 'GET',
    route: '/v1/research/weekly/:table',
    url: '/v1/research/weekly/weekly_app_usage_school?from=2026-09-14&to=2026-09-20',
    expect: research,
  },
  { method: 'GET', route: '/v1/research/outcome-bands', url: '/v1/research/outcome-bands', expect: research },
  { method: 'GET', route: '/v1/tokens', url: '/v1/tokens', expect: adminOnly },
  {
    method: 'POST',
    route: '/v1/tokens',
    url: '/v1/tokens',
    body: { role: 'director', name: 'made in the matrix' },
    expect: { ...adminOnly, admin: 201, foreign: 201 },
  },
  // The id is a token of dA: the dB admin gets 404 (not its district) and the token survives.
  { method: 'DELETE', route: '/v1/tokens/:id', url: '/v1/tokens/', expect: { ...adminOnly, foreign: 404 } },
];

/** Every id of district A; none may appear in an answer to the dB token. */
const DA_IDS = ['dA', 'sA1', 'sA2', 'cA1', 'cA2', 'appa1', 'appa2', 'unknown.example', 'L-A1', 'L-A2', 'invalid_field'];

let h: Harness;
let requests = 0;
beforeAll(async () => {
  h = await startHarness('api_matrix', { API_AUTH_FAILURE_LIMIT: '10000', API_RATE_LIMIT: '10000' });
}, 180_000);
afterAll(async () => h?.close());

async function call(row: Row, caller: Caller) {
  let url = row.url;
  let victim: string | null = null;
  if (row.method === 'DELETE') {
    const made = await h.api.tokens.create({ districtId: 'dA', role: 'director', name: 'to be revoked' });
    victim = made.token;
    url += made.entry.token_id;
  }
  const token = caller === 'none' ? undefined : h.tokens[caller];
  requests++;
  const res = await h.api.app.inject({
    method: row.method,
    url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(row.body ? { payload: row.body } : {}),
  });
  return { res, victim };
}

test('every endpoint is in the matrix', () => {
  expect(ENDPOINTS.map((e) => `${e.method} ${e.path}`).sort()).toEqual(
    MATRIX.map((r) => `${r.method} ${r.route}`).sort(),
  );
});

describe.each(MATRIX)('$method $route', (row) => {
  test.each(['none', 'admin', 'director', 'school', 'researcher', 'foreign'] as Caller[])('%s', async (caller) => {
    const { res, victim } = await call(row, caller);
    const want = row.expect[caller];
    expect({ caller, status: res.statusCode, body: res.body.slice(0, 300) }).toEqual({
      caller,
      status: want,
      body: expect.any(String),
    });
    const body = JSON.parse(res.body) as Record<string, unknown>;
    if (want >= 400) {
      // Nothing but the error: no rows, no counts, no ids.
      expect(Object.keys(body).sort()).toEqual(['error', 'message']);
      expect(String(body.message)).not.toMatch(/\d/);
      for (const id of DA_IDS.filter((i) => i !== 'dA')) expect(res.body).not.toContain(id);
    } else {
      const endpoint = ENDPOINTS.find((e) => e.method === row.method && e.path === row.route)!;
      const rows = endpoint.list ? (body.rows as unknown[]) : [body];
      for (const r of rows) expect(endpoint.response.safeParse(r).error).toBeUndefined();
      if (endpoint.list && 'district_id' in body) expect(body.district_id).toBe(caller === 'foreign' ? 'dB' : 'dA');
    }
    // An id the request itself names may be echoed back (e.g. "no license of <app>"); no other dA id.
    // A token just minted is random text, which may contain any short id ("…6dA_…" failed a CI run).
    if (caller === 'foreign') {
      const scanned = res.body.replace(/"token":"eds_[^"]*"/g, '"token":""');
      for (const id of DA_IDS.filter((i) => !row.url.includes(i))) expect(scanned).not.toContain(id);
    }
    if (victim !== null) {
      // Revoked only by an allowed caller of its own district.
      const after = await h.get('/v1/research', victim);
      requests++;
      expect(after.status).toBe(want === 200 ? 401 : 200);
    }
  });
});

test('the researcher reads its district research rows, suppressed cells null, never a person or class', async () => {
  const r = await h.get(
    '/v1/research/weekly/weekly_app_usage_school?from=2026-09-14&to=2026-09-20',
    h.tokens.researcher,
  );
  const rows = (r.json as { rows: Record<string, unknown>[] }).rows;
  expect(rows.map((x) => [x.school_id, x.active_students, x.suppressed])).toEqual([
    ['sA1', 12, 0],
    ['sA2', null, 1],
  ]);
  for (const row of rows) expect(Object.keys(row).filter((k) => /person|class|student_id/.test(k))).toEqual([]);
  const csv = await h.get('/v1/research/outcome-bands?school_year=2026-27&format=csv', h.tokens.researcher);
  expect(csv.body.split('\n')[0]).toContain('school_year,district_id,app_id');
  expect(csv.body).toContain('appa1');
  expect(csv.body).not.toContain('appb1');
  requests += 2;
});

test('a school token sees only its school, and naming another school is refused', async () => {
  const mine = await h.get(`/v1/usage/classes?${P}`, h.tokens.school);
  const rows = (mine.json as { rows: { school_id: string }[] }).rows;
  expect(rows.length).toBeGreaterThan(0);
  expect(new Set(rows.map((r) => r.school_id))).toEqual(new Set(['sA1']));
  const other = await h.get(`/v1/usage/schools?${P}&school=sA2`, h.tokens.school);
  expect(other.status).toBe(403);
  expect(other.body).not.toMatch(/\d/);
  const same = await h.get(`/v1/usage/schools?${P}&school=sA1`, h.tokens.school);
  expect(same.status).toBe(200);
  requests += 3;
});

/** The CSV of `url` for `token`: its header line and how many records follow. */
async function csvOf(url: string, token: string) {
  const r = await h.get(`${url}${url.includes('?') ? '&' : '?'}format=csv`, token);
  requests++;
  expect({ url, status: r.status }).toEqual({ url, status: 200 });
  const lines = r.body.split('\n').filter((l) => l.length > 0);
  return { header: lines[0] ?? '', records: lines.length - 1 };
}

test('every list answers CSV with its header, the same for every district, even when no record comes', async () => {
  const lists = MATRIX.filter(
    (r) => r.method === 'GET' && ENDPOINTS.find((e) => e.method === 'GET' && e.path === r.route)!.list,
  );
  expect(lists.length).toBeGreaterThanOrEqual(17);
  for (const row of lists) {
    const mine = await csvOf(row.url, h.tokens.admin);
    const foreign = await csvOf(row.url, h.tokens.foreign);
    expect({ route: row.route, header: foreign.header }).toEqual({ route: row.route, header: mine.header });
    expect(mine.header.split(',').length).toBeGreaterThan(1);
  }
  // The lists whose CSV records are their own (a CLI's columns, a research table's columns): the same
  // request by district dA, which has records, and by a district with nothing at all. The header must
  // not come from the first record. (Outcome evidence: equality.test.ts, where there are scores.)
  const empty = (await h.api.tokens.create({ districtId: 'dEmpty', role: 'admin', name: 'no data' })).token;
  const urls = [
    '/v1/licenses?window=3d&as_of=2026-09-16',
    '/v1/research/weekly/weekly_app_usage_school?from=2026-09-14&to=2026-09-20',
    '/v1/research/outcome-bands?school_year=2026-27',
  ];
  for (const full of urls) {
    const withRecords = await csvOf(full, h.tokens.admin);
    const without = await csvOf(full, empty);
    expect({ full, records: withRecords.records > 0 }).toEqual({ full, records: true });
    expect({ full, records: without.records, header: without.header }).toEqual({
      full,
      records: 0,
      header: withRecords.header,
    });
  }
});

test('every request is in the audit log with token id, role, route, parameters and status', async () => {
  await h.api.audit.flush();
  type Entry = { token_id: string; role: string; route: string; params: string; status: number; district_id: string };
  const entries = await waitFor(
    () => queryRows<Entry>(h.ch, `SELECT token_id, role, route, params, status, district_id FROM api_audit_log`),
    (rows) => rows.length >= requests,
    { timeoutMs: 20_000, what: 'audit entries' },
  );
  expect(entries).toHaveLength(requests);
  const denied = entries.find((e) => e.role === 'researcher' && e.route === '/v1/usage/district')!;
  expect(denied).toMatchObject({ status: 403, district_id: 'dA' });
  expect(denied.token_id).toMatch(/^[0-9a-f]{12}$/);
  expect(JSON.parse(denied.params)).toMatchObject({ query: { from: '2026-09-14', to: '2026-09-16' } });
  expect(entries.filter((e) => e.status === 401).every((e) => e.token_id === '' && e.role === '')).toBe(true);
  // The token itself is never stored.
  const all = JSON.stringify(entries);
  for (const t of Object.values(h.tokens)) expect(all).not.toContain(t);
});

test('tokens are stored only as their SHA-256: no token text in Redis', async () => {
  const { Redis } = await import('ioredis');
  const { createHash } = await import('node:crypto');
  const redis = new Redis(h.env.config.REDIS_URL);
  try {
    const stored = await redis.hgetall(`${h.env.config.REDIS_KEY_PREFIX}api:tokens`);
    const text = JSON.stringify(stored);
    for (const t of Object.values(h.tokens)) {
      expect(text).not.toContain(t.slice(4));
      expect(Object.keys(stored)).toContain(createHash('sha256').update(t).digest('hex'));
    }
  } finally {
    redis.disconnect();
  }
});
