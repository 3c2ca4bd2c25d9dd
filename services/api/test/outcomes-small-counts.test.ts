/**
 * Counts under k on the outcomes page and in /v1/outcomes/evidence: 3 students with a pre and a post test
 * and 2 without a pair (k = 10) are "fewer than 10" on the page and null in the API's meta, never the
 * count; the page and the handler are called directly on the real ClickHouse.
 */
import { createClickHouse, insertRows, type ClickHouseClient } from '@edusage/clickhouse';
import { assessmentRow, createTestEnv, type TestEnv } from '@edusage/testkit';
import type { ApiDeps } from '../src/endpoint';
import { Html } from '../src/dashboard/html';
import { labelsOf } from '../src/dashboard/labels';
import { outcomesPage } from '../src/dashboard/pages/outcomes';
import { outcomeEndpoints } from '../src/endpoints/outcomes';
import type { Principal } from '../src/tokens';

jest.setTimeout(120_000);

const result = (person: string, day: string, score: number) => assessmentRow(person, day, score);

describe('outcomes: counts under k are withheld on the page and in the API', () => {
  let env: TestEnv;
  let ch: ClickHouseClient;
  let deps: ApiDeps;
  const principal = { token_id: 't1', district_id: 'd1', role: 'director' } as unknown as Principal;
  const q = { app: 'ixl', assessment: 'map_growth', subject: 'math', from: '2026-08-01', to: '2026-12-31' };
  beforeAll(async () => {
    env = await createTestEnv('api_outcomes_small_counts', { kafka: false });
    ch = createClickHouse(env.config);
    deps = { ch, now: () => new Date('2027-01-15T00:00:00Z') } as unknown as ApiDeps;
    await insertRows(ch, 'assessment_results', [
      result('p1', '2026-09-07', 200),
      result('p1', '2026-09-21', 210),
      result('p2', '2026-09-07', 190),
      result('p2', '2026-09-21', 195),
      result('p3', '2026-09-08', 180),
      result('p3', '2026-09-28', 181),
      result('p4', '2026-09-07', 220), // no pair
      result('p5', '2026-09-21', 175), // no pair
    ]);
  });
  afterAll(async () => {
    await ch?.close();
    await env?.cleanup();
  });

  it('the dashboard page says "fewer than 10", not 3 students and 2 without a pair', async () => {
    const page = await outcomesPage.build({
      deps,
      principal,
      query: q,
      today: '2027-01-15',
      utcToday: '2027-01-15',
      labels: labelsOf(),
    });
    const text = page.blocks
      .filter((b): b is Html => b instanceof Html)
      .map((b) => b.value.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' '))
      .join('\n');
    expect(text).toContain(
      'Fewer than 10 students with a pre and a post test between 2026-08-01 and 2026-12-31; fewer than 10 without a pair (one test day, or tests under 14 days apart: no growth).',
    );
    expect(text).toContain('Fewer than 10 students: the whole group is suppressed.');
    expect(text).not.toMatch(/\b[23] (students|without a pair)/);
  });

  it('/v1/outcomes/evidence: the meta counts are null, and no row (0 duplicate records is shown: it describes nobody)', async () => {
    const endpoint = outcomeEndpoints.find((e) => e.path === '/v1/outcomes/evidence')!;
    const query = endpoint.query.parse(q);
    const answer = await endpoint.handle({ principal, query, params: {}, body: {}, deps });
    expect(answer.kind).toBe('list');
    if (answer.kind !== 'list') return;
    expect(answer.meta).toMatchObject({ k: 10, students: null, without_pair: null, duplicate_records: 0 });
    expect(answer.rows).toEqual([]);
  });
});
