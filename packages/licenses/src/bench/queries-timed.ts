/**
 * Each query of the license report timed on its own (one after the other), to see where the time of
 * a report goes. The report itself runs them concurrently (report.ts).
 */
import type { ClickHouseClient } from '@edusage/clickhouse';
import { activeMinutes, licenseActivity } from '../activity';
import { eligibleCounts } from '../eligible';
import { activeAfterTerm, currentApprovals, currentLicenses, licenseFigures, type Window } from '../queries';
import { firstLine, timed } from './timing';

/** Each query's time in ms, or why it failed (e.g. the server's memory limit). */
export async function timeReportQueries(ch: ClickHouseClient, w: Window): Promise<[string, number | string][]> {
  const licenses = await currentLicenses(ch, w.districtId);
  const termStart = licenses.reduce((min, l) => (l.term_start < min ? l.term_start : min), w.from);
  const SKIPPED = Symbol('skipped');
  const skipped = () => Promise.resolve(SKIPPED);
  const steps: [string, () => Promise<unknown>][] = [
    ['currentLicenses', () => currentLicenses(ch, w.districtId)],
    // For comparison, the same figures merged from states alone (no stored counts), one by one: the
    // people (window, schools, weeks from the term start) and the minutes.
    ['licenseFigures (all concurrently)', () => licenseFigures(ch, w, { trendFrom: termStart, apps: true })],
    [
      'licenseActivity (term to date, apps; states only)',
      () => licenseActivity(ch, w, { trendFrom: termStart, apps: true }),
    ],
    ['activeMinutes (window; states only)', () => activeMinutes(ch, w)],
    ['eligibleCounts', () => eligibleCounts(ch, w.districtId, licenses)],
    // What the API's license table and the jobs' snapshot read: the window only, no trend or apps.
    ['licenseFigures (window only)', () => licenseFigures(ch, w)],
    // The report skips it when no license ended before the window end (report.ts usedAfterTerm).
    ['activeAfterTerm', () => (licenses.some((l) => l.term_end < w.to) ? activeAfterTerm(ch, w) : skipped())],
    ['currentApprovals', () => currentApprovals(ch, w.districtId)],
  ];
  const out: [string, number | string][] = [];
  for (const [name, run] of steps) {
    out.push([
      name,
      await timed(run).then(
        (t) => (t.value === SKIPPED ? 'skipped (no license ended)' : t.ms),
        (err: unknown) => `failed (${firstLine(err)})`,
      ),
    ]);
  }
  return out;
}
