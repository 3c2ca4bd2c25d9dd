import {
  deleteAndWait,
  DeletionPendingError,
  queryRows,
  sqlDate,
  sqlString,
  type ClickHouseClient,
  type DeletionWaitOptions,
} from '@edusage/clickhouse';
import { normalizeSubject } from './result';

/**
 * Which stored results a withdrawal removes: an assessment's tests within days, of some students or all,
 * whichever imports stored them (a correction's results and the ones it corrected alike).
 */
export interface Withdrawal {
  districtId: string;
  assessment: string;
  /** As typed or stored: normalized as imports store it. */
  subject: string;
  from: string;
  to: string;
  /** Pseudonyms (`person_id`); absent: every student. */
  personIds?: readonly string[];
}

/** What a withdrawal would remove (or removed): distinct results, students, days and imports. */
export interface WithdrawalExtent {
  results: number;
  students: number;
  firstDay: string | null;
  lastDay: string | null;
  imports: number;
}

/**
 * One import's stored results of an assessment and subject (`outcomes imports`). A result stored again
 * by a later import (an equal row: same student, day and score) is that import's: ClickHouse keeps one
 * copy, the later one.
 */
export interface ImportEntry {
  importedMs: number;
  assessment: string;
  subject: string;
  results: number;
  students: number;
  firstDay: string;
  lastDay: string;
}

function filterOf(w: Withdrawal): string {
  const people =
    w.personIds === undefined ? '' : ` AND person_id IN (${w.personIds.map((p) => sqlString(p)).join(', ')})`;
  return `district_id = ${sqlString(w.districtId)} AND assessment = ${sqlString(w.assessment)}
    AND subject = ${sqlString(normalizeSubject(w.subject))}
    AND test_date >= ${sqlDate(w.from)} AND test_date <= ${sqlDate(w.to)}${people}`;
}

/** The stored results a withdrawal names (FINAL: a re-imported file's equal rows count once). */
export async function withdrawalExtent(ch: ClickHouseClient, w: Withdrawal): Promise<WithdrawalExtent> {
  if (w.personIds?.length === 0) return { results: 0, students: 0, firstDay: null, lastDay: null, imports: 0 };
  const [row] = await queryRows<{
    results: number;
    students: number;
    first_day: string;
    last_day: string;
    imports: number;
  }>(
    ch,
    `SELECT toFloat64(count()) AS results, toFloat64(uniqExact(person_id)) AS students,
       toString(min(test_date)) AS first_day, toString(max(test_date)) AS last_day,
       toFloat64(uniqExact(imported_ms)) AS imports
     FROM assessment_results FINAL WHERE ${filterOf(w)}`,
  );
  const results = row?.results ?? 0;
  return {
    results,
    students: row?.students ?? 0,
    firstDay: results > 0 ? row!.first_day : null,
    lastDay: results > 0 ? row!.last_day : null,
    imports: row?.imports ?? 0,
  };
}

/** A district's imports, oldest first, per assessment and subject. */
export async function listImports(ch: ClickHouseClient, districtId: string): Promise<ImportEntry[]> {
  const rows = await queryRows<{
    imported_ms: string;
    assessment: string;
    subject: string;
    results: number;
    students: number;
    first_day: string;
    last_day: string;
  }>(
    ch,
    `SELECT toString(imported_ms) AS imported_ms, assessment, subject, toFloat64(count()) AS results,
       toFloat64(uniqExact(person_id)) AS students, toString(min(test_date)) AS first_day, toString(max(test_date)) AS last_day
     FROM assessment_results FINAL WHERE district_id = ${sqlString(districtId)}
     GROUP BY imported_ms, assessment, subject ORDER BY imported_ms, assessment, subject`,
  );
  return rows.map((r) => ({
    importedMs: Number(r.imported_ms),
    assessment: r.assessment,
    subject: r.subject,
    results: r.results,
    students: r.students,
    firstDay: r.first_day,
    lastDay: r.last_day,
  }));
}

export type WithdrawOptions = DeletionWaitOptions;

/**
 * Removes the results a withdrawal names: one `ALTER TABLE … DELETE`, waited for until none of them is
 * left (`deleteAndWait`). Every import's results of those tests go (a corrected file's and the
 * original's), so no earlier score comes back; importing a file again later stores its results again.
 * Returns what was removed. Throws when results are still there at the timeout (the deletion goes on in
 * the background: ask for the same withdrawal again to see what is left).
 */
export async function withdrawResults(
  ch: ClickHouseClient,
  w: Withdrawal,
  opts: WithdrawOptions = {},
): Promise<WithdrawalExtent> {
  const extent = await withdrawalExtent(ch, w);
  if (extent.results === 0) return extent;
  try {
    await deleteAndWait(
      ch,
      'assessment_results',
      filterOf(w),
      async () => (await withdrawalExtent(ch, w)).results,
      opts,
    );
  } catch (err) {
    if (!(err instanceof DeletionPendingError)) throw err;
    if (!err.asked)
      throw new Error(
        `an earlier deletion of assessment_results was still running after ${Math.round(err.timeoutMs / 1000)} s ` +
          `(ClickHouse has ${err.partsToDo} data parts to rewrite${err.failure ? `; it last failed with: ${err.failure}` : ''}), ` +
          'so this withdrawal was not asked yet: run it again once that one has finished (system.mutations shows it)',
        { cause: err },
      );
    throw new Error(
      `${err.left} of the ${extent.results} results are still stored after ${Math.round(err.timeoutMs / 1000)} s ` +
        `(ClickHouse has ${err.partsToDo} data parts to rewrite` +
        (err.failure ? `; it last failed with: ${err.failure}` : '') +
        '; an import of these tests at the same time stores them again): the deletion goes on in the ' +
        'background; run the same withdrawal again later to see what is left',
      { cause: err },
    );
  }
  return extent;
}
