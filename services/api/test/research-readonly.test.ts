/**
 * The research endpoints read as the read-only ClickHouse user (API_RESEARCH_USER=researcher, profile
 * readonly=1, on a private ClickHouse with the local stack's users files): they answer, and their 64-bit
 * counts (`events`, Nullable(UInt64)) are JSON numbers like the other counts, without a setting in the
 * URL (a readonly=1 user may send none).
 */
import { createClickHouse } from '@edusage/clickhouse';
import { createLogger } from '@edusage/logging';
import { createTestEnv, startPrivateClickHouse, type PrivateClickHouse, type TestEnv } from '@edusage/testkit';
import { loadApiConfig, startApi, type ApiService } from '@edusage/api';
import { seedResearch } from './harness';

jest.setTimeout(240_000);

// The database the researcher user may read (infra/local/clickhouse-users.d/research.xml).
const RESEARCH_DB = 'edusage_research';

let server: PrivateClickHouse;
let env: TestEnv;
let api: ApiService;
beforeAll(async () => {
  server = await startPrivateClickHouse();
  env = await createTestEnv('api_research_readonly', { kafka: false, clickhouseUrl: server.url });
  const config = loadApiConfig({
    ...env.env,
    API_PORT: '0',
    RESEARCH_DATABASE: RESEARCH_DB,
    API_RESEARCH_USER: 'researcher',
    API_RESEARCH_PASSWORD: server.researchPassword,
  });
  api = await startApi(config, createLogger('api-test', 'silent'), { listen: false, defaultMetrics: false });
  const admin = createClickHouse(env.config, RESEARCH_DB);
  try {
    await seedResearch(admin);
  } finally {
    await admin.close();
  }
});
afterAll(async () => {
  await api?.stop();
  await env?.cleanup();
  await server?.cleanup();
});

test('a weekly table and the outcome bands, read as the researcher, have numbers for 64-bit counts', async () => {
  const { token } = await api.tokens.create({ districtId: 'dA', role: 'researcher', name: 'researcher test' });
  const get = async (url: string) => {
    const res = await api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    expect({ url, status: res.statusCode }).toEqual({ url, status: 200 });
    return (res.json() as { rows: Record<string, unknown>[] }).rows;
  };
  // The seed (harness seedResearch): sA1 with 12 students (events 3 × 12), sA2 suppressed.
  const weekly = await get('/v1/research/weekly/weekly_app_usage_school?from=2026-09-14&to=2026-09-20');
  expect(weekly.map((r) => [r.school_id, r.active_students, r.events, r.engaged_hours, r.suppressed])).toEqual([
    ['sA1', 12, 36, 6, 0],
    ['sA2', null, null, null, 1],
  ]);
  const bands = await get('/v1/research/outcome-bands');
  expect(bands.map((r) => [r.app_id, r.students, r.mean_growth])).toEqual([['appa1', 11, 6]]);
});
