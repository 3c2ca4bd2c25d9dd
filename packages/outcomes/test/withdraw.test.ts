/**
 * Withdrawing stored results (`outcomes withdraw`): an assessment's tests in a date range, of some
 * students or all, whichever imports stored them. On ClickHouse 18.16 and on a current engine, read
 * back through the analyses' own query.
 */
import { insertRows, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { assessmentRow, onCurrentClickHouse, onTestClickHouse } from '@edusage/testkit';
import {
  listImports,
  loadStudentWindows,
  withdrawalExtent,
  withdrawResults,
  type ImportEntry,
  type Withdrawal,
} from '../src';

jest.setTimeout(180_000);

const FIRST_IMPORT = 1_796_000_000_000;
const CORRECTION = FIRST_IMPORT + 60_000;
const PRE = '2026-09-10';
const POST = '2026-12-01';
const STUDENTS = ['s1', 's2', 's3'];

const window = {
  districtId: 'd1',
  app: 'ixl',
  assessment: 'map_growth',
  subject: 'math',
  from: '2026-08-01',
  to: '2027-01-31',
};

/** Each student's pre and post score as the analyses read them (students with a pair only). */
async function scores(ch: ClickHouseClient) {
  const data = await loadStudentWindows(ch, window);
  return {
    byStudent: Object.fromEntries(data.students.map((s) => [s.personId, [s.pre, s.post]])),
    withoutPair: data.withoutPair,
  };
}

async function storeResults(ch: ClickHouseClient) {
  // The first import: every student's pre and post test; another district's beside them.
  await insertRows(ch, 'assessment_results', [
    ...STUDENTS.flatMap((p, i) => [
      assessmentRow(p, PRE, 200 + i, { imported_ms: FIRST_IMPORT }),
      assessmentRow(p, POST, 210 + i, { imported_ms: FIRST_IMPORT }),
    ]),
    assessmentRow('s1', POST, 230, { district_id: 'd2', imported_ms: FIRST_IMPORT }),
    // The same student and days, another assessment and another subject: never withdrawn here.
    assessmentRow('s1', PRE, 500, { assessment: 'iready_diagnostic', imported_ms: FIRST_IMPORT }),
    assessmentRow('s1', POST, 520, { assessment: 'iready_diagnostic', imported_ms: FIRST_IMPORT }),
    assessmentRow('s1', PRE, 190, { subject: 'reading', imported_ms: FIRST_IMPORT }),
    assessmentRow('s1', POST, 195, { subject: 'reading', imported_ms: FIRST_IMPORT }),
  ]);
  // A corrected file with s1's post test only.
  await insertRows(ch, 'assessment_results', [assessmentRow('s1', POST, 215, { imported_ms: CORRECTION })]);
}

async function scenario(ch: ClickHouseClient) {
  await storeResults(ch);
  expect(await scores(ch)).toEqual({ byStudent: { s1: [200, 215], s2: [201, 211], s3: [202, 212] }, withoutPair: 0 });
  expect(
    mapMath(await listImports(ch, 'd1')).map((e) => [e.importedMs, e.results, e.students, e.firstDay, e.lastDay]),
  ).toEqual([
    [FIRST_IMPORT, 6, 3, PRE, POST],
    [CORRECTION, 1, 1, POST, POST],
  ]);

  // s1's corrected post test: the correction and the result it corrected both go (no earlier score
  // comes back); s1 has no pair left.
  const s1Post: Withdrawal = { ...testsIn(POST, POST), personIds: ['s1'] };
  expect(await withdrawalExtent(ch, s1Post)).toEqual({
    results: 2,
    students: 1,
    firstDay: POST,
    lastDay: POST,
    imports: 2,
  });
  expect(await withdrawResults(ch, s1Post, { pollMs: 50 })).toMatchObject({ results: 2, imports: 2 });
  // Returned once ClickHouse is done: no unfinished deletion left behind.
  expect(await unfinished(ch)).toBe(0);
  expect(await scores(ch)).toEqual({ byStudent: { s2: [201, 211], s3: [202, 212] }, withoutPair: 1 });
  expect(mapMath(await listImports(ch, 'd1')).map((e) => [e.importedMs, e.results])).toEqual([[FIRST_IMPORT, 5]]);

  // Another student's post test, with a range around it: the third student untouched.
  const s2Post: Withdrawal = { ...testsIn('2026-11-15', '2026-12-31'), personIds: ['s2'] };
  expect(await withdrawResults(ch, s2Post, { pollMs: 50 })).toMatchObject({ results: 1, students: 1 });
  expect(await scores(ch)).toEqual({ byStudent: { s3: [202, 212] }, withoutPair: 2 });

  // Every post test in the range: nobody has a pair; the pre tests and the other district stay.
  expect(await withdrawResults(ch, testsIn('2026-11-15', '2026-12-31'), { pollMs: 50 })).toMatchObject({
    results: 1,
    students: 1,
  });
  expect(await scores(ch)).toEqual({ byStudent: {}, withoutPair: 3 });
  expect(mapMath(await listImports(ch, 'd1')).map((e) => [e.results, e.firstDay, e.lastDay])).toEqual([[3, PRE, PRE]]);
  expect((await listImports(ch, 'd2')).map((e) => e.results)).toEqual([1]);
  // Another assessment and another subject of the same student and days are all still there.
  expect(
    (await listImports(ch, 'd1'))
      .filter((e) => !(e.assessment === 'map_growth' && e.subject === 'math'))
      .map((e) => [e.assessment, e.subject, e.results]),
  ).toEqual([
    ['iready_diagnostic', 'math', 2],
    ['map_growth', 'reading', 2],
  ]);

  // Nothing matches: nothing removed, no mutation asked for.
  const mutationsBefore = await mutations(ch);
  expect(await withdrawResults(ch, testsIn('2026-11-15', '2026-12-31'))).toEqual({
    results: 0,
    students: 0,
    firstDay: null,
    lastDay: null,
    imports: 0,
  });
  expect(await mutations(ch)).toBe(mutationsBefore);
}

const mapMath = (entries: ImportEntry[]) =>
  entries.filter((e) => e.assessment === 'map_growth' && e.subject === 'math');

async function mutations(ch: ClickHouseClient, where = '1'): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    ch,
    `SELECT toString(count()) AS n FROM system.mutations
     WHERE database = currentDatabase() AND table = 'assessment_results' AND ${where}`,
  );
  return Number(row?.n);
}

const unfinished = (ch: ClickHouseClient) => mutations(ch, 'is_done = 0');

/** MAP math tests of district d1 between two days; the subject as a person types it. */
function testsIn(from: string, to: string): Withdrawal {
  return { districtId: 'd1', assessment: 'map_growth', subject: 'Math', from, to };
}

test('withdrawals on ClickHouse 18.16', () => onTestClickHouse('outcomes_withdraw', scenario));

test('withdrawals on a current ClickHouse', () => onCurrentClickHouse('outcomes_withdraw', scenario));
