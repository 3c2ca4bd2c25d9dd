/**
 * Assessment import on the real ClickHouse (the suite's own database): a test day outside the days
 * assessment_results.test_date (a Date) stores is a row error naming its line and field, as a day that
 * is no calendar day is; the rows beside it are stored and read back as written.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClickHouse, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { importAssessments, RosterMatcher } from '../src';
import { rosterOf, student } from './support/roster';

jest.setTimeout(120_000);

const KEY = 'outcomes-test-pseudonym-key-0123';
const AFTER = 'the last day a ClickHouse Date column stores';
const BEFORE = 'is before 1970-01-02, the first day a ClickHouse Date column stores';

describe('assessment import: test days a Date column cannot store', () => {
  let env: TestEnv;
  let ch: ClickHouseClient;
  let dir: string;
  beforeAll(async () => {
    env = await createTestEnv('outcomes_test_dates', { kafka: false });
    ch = createClickHouse(env.config);
    dir = mkdtempSync(path.join(os.tmpdir(), 'outcomes-test-dates-'));
  });
  afterAll(async () => {
    await ch?.close();
    await env?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const days = async (district: string) =>
    (
      await queryRows<{ test_date: string }>(
        ch,
        `SELECT toString(test_date) AS test_date FROM assessment_results FINAL
         WHERE district_id = '${district}' ORDER BY test_date`,
      )
    ).map((r) => r.test_date);

  it('a CSV row (generic preset) with such a day is rejected by line and field; the others are stored', async () => {
    const matcher = new RosterMatcher('d1', rosterOf([student('s1')]), KEY);
    const file = path.join(dir, 'generic.csv');
    writeFileSync(
      file,
      [
        'id,score,date',
        's1,250,9999-12-31', // 2
        's1,251,1970-01-01', // 3: day 0 reads back as 0000-00-00
        's1,252,12/31/2106', // 4
        's1,253,1970-01-02', // 5: the first day stored
        's1,254,2105-12-31', // 6: the last
        's1,255,2026-05-01', // 7
      ].join('\n'),
    );
    const s = await importAssessments({
      districtId: 'd1',
      file,
      preset: 'generic',
      mapping: {
        columns: { studentId: 'id', score: 'score', testDate: 'date' },
        constants: { assessment: 'district_benchmark', subject: 'Math' },
        scale: { min: 100, max: 350 },
      },
      matcher,
      ch,
    });
    expect(s).toMatchObject({ rows: 6, stored: 3, rejected: 3, refused: null });
    expect(s.issues).toEqual([
      { file: 'generic.csv', line: 2, field: 'date', message: `9999-12-31 is after 2105-12-31, ${AFTER}` },
      { file: 'generic.csv', line: 3, field: 'date', message: `1970-01-01 ${BEFORE}` },
      { file: 'generic.csv', line: 4, field: 'date', message: `2106-12-31 is after 2105-12-31, ${AFTER}` },
    ]);
    expect(await days('d1')).toEqual(['1970-01-02', '2026-05-01', '2105-12-31']);
  });

  it('an Ed-Fi StudentAssessment with such an administrationDate is rejected the same way', async () => {
    const matcher = new RosterMatcher('d2', rosterOf([student('s1')]), KEY);
    const record = (day: string) =>
      JSON.stringify({
        studentReference: { studentUniqueId: 's1' },
        assessmentReference: { assessmentIdentifier: 'state-math' },
        administrationDate: day,
        scoreResults: [{ assessmentReportingMethodDescriptor: 'uri://ed-fi.org#Scale score', result: '300' }],
      });
    const file = path.join(dir, 'edfi.ndjson');
    writeFileSync(file, [record('2026-04-01'), record('9999-12-31')].join('\n') + '\n');
    const s = await importAssessments({ districtId: 'd2', file, preset: 'edfi', matcher, ch });
    expect(s).toMatchObject({ rows: 2, stored: 1, rejected: 1, refused: null });
    expect(s.issues).toEqual([
      {
        file: 'edfi.ndjson',
        line: 2,
        field: 'administrationDate',
        message: `9999-12-31 is after 2105-12-31, ${AFTER}`,
      },
    ]);
    expect(await days('d2')).toEqual(['2026-04-01']);
  });
});
