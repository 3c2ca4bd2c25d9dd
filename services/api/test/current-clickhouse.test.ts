/**
 * Every query the API's endpoints run, and its audit insert, on a current ClickHouse engine (chdb,
 * docs/CLICKHOUSE_SQL.md); the other suites run them on 18.16. The answers must equal the 18.16 ones
 * for the same seed (written by hand here where small).
 */
import { queryRows, runMigrations } from '@edusage/clickhouse';
import { createLogger } from '@edusage/logging';
import { migrationsDir, startCurrentClickHouse, type CurrentClickHouse } from '@edusage/testkit';
import { AuditLog, ENDPOINTS, createApiMetrics, type ApiDeps, type Principal, type TokenStore } from '@edusage/api';
import { RESEARCH_MIGRATIONS_DIR } from '@edusage/research';
import { rowObjects } from '../src/endpoint';
import { districtNamesReader } from '../src/names';
import { compactRollups } from '@edusage/rollups';
import { PERIOD, seed, seedResearch } from './harness';

jest.setTimeout(120_000);

let current: CurrentClickHouse;
beforeAll(async () => {
  current = await startCurrentClickHouse('edusage_api_current');
  await runMigrations(current.client, migrationsDir());
  await runMigrations(current.client, RESEARCH_MIGRATIONS_DIR);
  await seed(current.client);
  await seedResearch(current.client);
});
afterAll(async () => current?.close());

const admin: Principal = {
  token_id: '000000000000',
  district_id: 'dA',
  role: 'admin',
  school_id: '',
  name: 'current',
  created_at: '2026-09-17T00:00:00Z',
};

const QUERIES: Record<string, Record<string, string>> = {
  '/v1/usage/district': { ...PERIOD, app: 'appa1' },
  '/v1/usage/schools': { ...PERIOD, school: 'sA1' },
  '/v1/usage/classes': { ...PERIOD, class: 'cA1' },
  '/v1/usage/campus': { ...PERIOD },
  '/v1/usage/weekly': { from: '2026-09-08', to: '2026-09-21' },
  '/v1/licenses': { window: 'term', as_of: '2026-09-16' },
  '/v1/licenses/findings': { window: '3d', as_of: '2026-09-16' },
  '/v1/licenses/schools': { window: '3d', as_of: '2026-09-16' },
  '/v1/licenses/alerts': { renewing_from: '2026-09-01' },
  '/v1/outcomes/evidence': { app: 'appa1', assessment: 'map_growth', subject: 'math', ...PERIOD },
  '/v1/unresolved': { ...PERIOD },
  '/v1/unresolved/apps': { ...PERIOD, limit: '5' },
  '/v1/dead-letters': {},
  '/v1/dead-letters/daily': { from: '2026-09-15', to: '2026-09-17' },
  '/v1/imports': { limit: '3' },
  '/v1/names': {},
  '/v1/pipeline/lag': {},
  '/v1/research': {},
  '/v1/research/weekly/:table': { from: '2026-09-14', to: '2026-09-20' },
  '/v1/research/outcome-bands': { school_year: '2026-27' },
};

/** cA1's use of appa1 (harness seed, by hand): pA1, pA2 (300 / 600 s a day) and the teacher (60 s). */
const classesBeforeCompaction = [
  {
    school_id: 'sA1',
    class_id: 'cA1',
    app_id: 'appa1',
    active_users: 3,
    events: 9,
    engaged_seconds: 3 * (300 + 600 + 60),
    active_days: 3,
  },
];

const depsOf = (): ApiDeps => ({
  ch: current.client,
  research: current.client, // the research tables live in the same chdb database here
  tokens: null as unknown as TokenStore, // no token endpoint is called here
  defaultFreshness: 'compacted',
  names: districtNamesReader({ ch: current.client, districtCatalog: async () => [] }),
  pipelineLag: async () => [],
  now: () => new Date('2026-09-17T12:00:00Z'),
  today: () => '2026-09-17',
});

test('every report endpoint runs on current ClickHouse', async () => {
  const deps = depsOf();
  const answers: Record<string, unknown> = {};
  for (const e of ENDPOINTS.filter((x) => x.method === 'GET' && x.path !== '/v1/tokens')) {
    const query = e.query.parse(QUERIES[e.path] ?? {});
    const params = e.params ? e.params.parse({ table: 'weekly_app_usage_school' }) : {};
    const r = await e.handle({ principal: admin, query, params, body: undefined, deps });
    answers[e.path] = r.kind === 'list' ? r.rows : r.body;
  }
  expect(Object.keys(answers).sort()).toEqual(Object.keys(QUERIES).sort());
  expect(answers['/v1/usage/district']).toEqual([
    // pA1..pA4 (300 s × p each day) and the teacher pA5 (60 s) on three days.
    {
      app_id: 'appa1',
      active_users: 5,
      events: 15,
      engaged_seconds: 3 * (300 + 600 + 900 + 1200 + 60),
      active_days: 3,
    },
  ]);
  expect(answers['/v1/usage/classes']).toEqual(classesBeforeCompaction);
  // Two weeks: 09-14 in the first, 09-15 and 09-16 in the second; pA1..pA6 used something each day.
  expect(
    (answers['/v1/usage/weekly'] as { week_from: string; active_users: number; events: number }[]).map((w) => [
      w.week_from,
      w.active_users,
      w.events,
    ]),
  ).toEqual([
    ['2026-09-08', 6, 8],
    ['2026-09-15', 6, 16],
  ]);
  // By hand (harness seed): on = pA1, pA2, the teacher; off = pA3, pA4 and appa2's page views; unknown = pA6.
  expect(
    (answers['/v1/usage/campus'] as { campus: string; events: number }[]).map((r) => [r.campus, r.events]),
  ).toEqual([
    ['on', 9],
    ['off', 12],
    ['unknown', 3],
  ]);
  expect((answers['/v1/research/weekly/:table'] as { school_id: string }[]).map((r) => r.school_id)).toEqual([
    'sA1',
    'sA2',
  ]);
  expect((answers['/v1/research/outcome-bands'] as { students: number }[]).map((r) => r.students)).toEqual([11]);
  expect(answers['/v1/dead-letters']).toEqual([
    { stage: 'ingest', source: 'agent', reason_code: 'invalid_field', count: 2 },
    { stage: 'ingest', source: 'agent', reason_code: 'malformed_json', count: 2 },
  ]);
  expect(
    (answers['/v1/dead-letters/daily'] as { day: string; reason_code: string; count: number }[]).map((r) => [
      r.day,
      r.reason_code,
      r.count,
    ]),
  ).toEqual([
    ['2026-09-15', 'invalid_field', 2],
    ['2026-09-15', 'malformed_json', 1],
    ['2026-09-17', 'malformed_json', 1],
  ]);
  // Newest first: the seed's roster (imported 2026-09-01) and its licenses (imported now, by the clock).
  const imports = answers['/v1/imports'] as { kind: string; current: boolean; imported_at: string }[];
  expect(imports.map((r) => [r.kind, r.current]).sort()).toEqual([
    ['licenses', true],
    ['roster', true],
  ]);
  expect(imports.map((r) => r.imported_at)).toEqual(
    imports
      .map((r) => r.imported_at)
      .sort()
      .reverse(),
  );
  expect(
    (answers['/v1/licenses/findings'] as { finding: string; app_id: string }[]).map((f) => f.finding + ' ' + f.app_id),
  ).toEqual([
    'unlicensed domain:unknown.example',
    'unapproved appa1',
    'unapproved appa2',
    'unapproved domain:unknown.example',
  ]);
  // L-A1 (appa1, district-wide): students pA1, pA2 at sA1 and pA3, pA4 at sA2, all active;
  // L-A2 (appa2 at sA2): pA3 and pA4, both used appa2 in the three days.
  expect(
    (
      answers['/v1/licenses/schools'] as { license_id: string; school_id: string; eligible: number; active: number }[]
    ).map((r) => [r.license_id, r.school_id, r.eligible, r.active]),
  ).toEqual([
    ['L-A1', 'sA1', 2, 2],
    ['L-A1', 'sA2', 2, 2],
    ['L-A2', 'sA2', 2, 2],
  ]);
  expect((answers['/v1/licenses/alerts'] as { license_id: string }[]).map((a) => a.license_id)).toEqual(['L-A2']);
  expect(answers['/v1/unresolved']).toMatchObject({ unresolved_person_events: 3, unresolved_app_events: 3 });
  // Per day: 4 of appa1, 2 of appa2 (half of pA1..pA4), the teacher's and the unresolved one.
  expect((answers['/v1/pipeline/lag'] as { events: number }).events).toBe(3 * 8);

  const audit = new AuditLog(current.client, createLogger('t', 'silent'), createApiMetrics({ defaultMetrics: false }), {
    flushMs: 1000,
    batch: 10,
    maxBuffer: 100,
  });
  audit.record({
    at: '2026-09-17 12:00:00',
    at_ms: 1,
    request_id: 'r1',
    token_id: admin.token_id,
    role: 'admin',
    district_id: 'dA',
    method: 'GET',
    route: '/v1/research',
    params: '{}',
    status: 200,
    duration_ms: 3,
    ip: '127.0.0.1',
    aborted: 1,
  });
  await audit.stop();
  expect(await queryRows(current.client, 'SELECT route, status, aborted FROM api_audit_log')).toEqual([
    { route: '/v1/research', status: 200, aborted: 1 },
  ]);
});

test('the endpoints that take freshness answer as of the compactions on current ClickHouse, each compaction checked', async () => {
  await compactRollups(current.client);
  await compactRollups(current.client); // nothing new: a check of the same compaction
  const deps = depsOf();
  const withFreshness = ENDPOINTS.filter((e) => e.method === 'GET' && 'freshness' in e.query.shape);
  expect(withFreshness.length).toBeGreaterThanOrEqual(9);
  for (const e of withFreshness) {
    const answer = async (extra: Record<string, string>) => {
      const query = e.query.parse({ ...QUERIES[e.path], ...extra });
      const r = await e.handle({ principal: admin, query, params: {}, body: undefined, deps });
      const { freshness, compactions, months_not_compacted, ...rest } = (r.kind === 'list' ? r.meta : r.body) as {
        freshness: string;
        compactions?: { month: number; compacted_at: string; checked_at: string }[];
        months_not_compacted?: number[];
      } & Record<string, unknown>;
      return {
        figures: r.kind === 'list' ? rowObjects(r.rows) : rest,
        freshness,
        compactions,
        months_not_compacted,
        r,
      };
    };
    // Named live; and the default, which is compacted.
    const [live, compacted] = [await answer({ freshness: 'live' }), await answer({})];
    // Nothing was folded since the compaction: the same figures either way.
    expect([e.path, compacted.figures]).toEqual([e.path, live.figures]);
    expect([e.path, live.freshness, compacted.freshness]).toEqual([e.path, 'live', 'compacted']);
    const [september] = compacted.compactions ?? [];
    expect([e.path, september?.month, compacted.months_not_compacted]).toEqual([e.path, 202609, []]);
    expect(september!.checked_at >= september!.compacted_at).toBe(true);
    // A usage list that September's month rows answer alone comes as this engine's JSON text (reports'
    // usageListing): the rows the first test read, not parsed on the way.
    if (e.path === '/v1/usage/classes') {
      expect(compacted.r.kind === 'list' && !Array.isArray(compacted.r.rows)).toBe(true);
      expect(compacted.figures).toEqual(classesBeforeCompaction);
    }
  }
});

test('the pipeline lag still answers when Kafka does not: the error named, the rest read', async () => {
  const lag = ENDPOINTS.find((e) => e.path === '/v1/pipeline/lag')!;
  const deps = {
    ...depsOf(),
    pipelineLag: async () => {
      throw new Error('This server does not host this topic-partition');
    },
  };
  const r = await lag.handle({ principal: admin, query: {}, params: {}, body: undefined, deps });
  expect(r.kind === 'object' && r.body).toMatchObject({
    groups: [],
    kafka_error: 'Kafka lag unavailable: This server does not host this topic-partition',
    events: 3 * 8,
    rollup_compaction: { months_not_compacted: [] },
  });
});
