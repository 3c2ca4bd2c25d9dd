import type { RosterContext, SchoolTerm } from './roster-model';
import { addDays, parseDate } from './time';
import type { AcademicSessionRow, ResolvedOptions } from './types';

/**
 * The school year (1 July to 30 June) that holds the first day of events, extended to the last day
 * when the window runs past 30 June, so every event falls inside the term.
 */
export function schoolYearOf(opts: ResolvedOptions): { startYear: number; term: SchoolTerm } {
  const [year, month] = parseDate(opts.startDate);
  const startYear = month >= 7 ? year : year - 1;
  const lastDay = addDays(opts.startDate, opts.days - 1);
  const defaultEnd = `${startYear + 1}-06-30`;
  return {
    startYear,
    term: {
      sourcedId: `sy-${startYear}-${startYear + 1}`,
      startDate: `${startYear}-07-01`,
      endDate: lastDay > defaultEnd ? lastDay : defaultEnd,
    },
  };
}

/** academicSessions.csv: the term as a single `schoolYear` session. */
export function academicSessionRows(ctx: RosterContext, startYear: number): AcademicSessionRow[] {
  const { term, modified } = ctx;
  return [
    {
      sourcedId: term.sourcedId,
      status: 'active',
      dateLastModified: modified,
      title: `${startYear}-${startYear + 1} School Year`,
      type: 'schoolYear',
      startDate: term.startDate,
      endDate: term.endDate,
      parentSourcedId: '',
      schoolYear: String(startYear + 1),
    },
  ];
}
