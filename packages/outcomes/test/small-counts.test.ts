/**
 * Counts under k are not published (README "Small cells"): with 3 students with a pre and a post
 * test, 2 without a pair and 1 duplicate record on the real ClickHouse, `analyze` and its table give
 * "fewer than k" for each, never the count.
 */
import { createClickHouse, insertRows, type ClickHouseClient } from '@edusage/clickhouse';
import { assessmentRow, createTestEnv, type TestEnv } from '@edusage/testkit';
import { analyze, renderAnalysisCsv, renderAnalysisJson, renderAnalysisTable } from '../src';

jest.setTimeout(120_000);

const result = (person: string, day: string, score: number) => assessmentRow(person, day, score);

describe('counts under k (ClickHouse)', () => {
  let env: TestEnv;
  let ch: ClickHouseClient;
  beforeAll(async () => {
    env = await createTestEnv('outcomes_small_counts', { kafka: false });
    ch = createClickHouse(env.config);
    await insertRows(ch, 'assessment_results', [
      result('p1', '2026-09-07', 200),
      result('p1', '2026-09-21', 210),
      result('p1', '2026-09-21', 207), // a duplicate record of the same day
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

  it('students, students without a pair and duplicate records: null, and "fewer than k" in the table', async () => {
    const q = {
      districtId: 'd1',
      app: 'ixl',
      assessment: 'map_growth',
      subject: 'math',
      from: '2026-08-01',
      to: '2026-12-31',
    };
    const a = await analyze(ch, q);
    expect([a.k, a.students, a.withoutPair, a.duplicateRecords, a.groups]).toEqual([10, null, null, null, []]);
    const text = renderAnalysisTable(a);
    expect(text.split('\n')[1]).toBe(
      'fewer than 10 students with a pre and a post test; goal 30 min/week; cells under 10 students hidden; ' +
        'fewer than 10 students without a pre/post pair left out; fewer than 10 more records of a test occasion (its highest score counted)',
    );
    for (const out of [text, renderAnalysisJson(a), renderAnalysisCsv(a)])
      expect(out).not.toMatch(/\b[1-3] (students|duplicate)/);
    // k = 2: the same counts are k or more and are shown.
    const shown = await analyze(ch, { ...q, k: 2 });
    expect([shown.students, shown.withoutPair, shown.duplicateRecords]).toEqual([3, 2, null]); // 1 duplicate record: still under k = 2;
  });
});
