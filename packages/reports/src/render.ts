import Table from 'cli-table3';
import type { ClassUsageRow, DeadLetterCount, Period, SchoolUsageRow, UnresolvedSummary, UsageRow } from './queries';

export interface UtilizationReportInput {
  period: Period;
  district: UsageRow[];
  schools: SchoolUsageRow[];
  classes: ClassUsageRow[];
  unresolved: UnresolvedSummary;
  deadLetters: DeadLetterCount[];
  /** Display names for ids (schools, classes, apps), where known. */
  names?: Map<string, string>;
  topAppsPerSchool?: number;
  topClasses?: number;
}

const hours = (seconds: number) => (seconds / 3600).toFixed(1);
const plain = { head: [] as string[], border: [] as string[] };
// Lines around the table and under the header only: long reports stay readable in a terminal.
const chars = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function usageTable(head: string[], rows: (string | number)[][]): string {
  const table = new Table({ head, style: plain, chars });
  table.push(...rows);
  return table.toString();
}

/** The plain-text utilization report the main command prints. */
export function renderUtilizationReport(input: UtilizationReportInput): string {
  const name = (id: string) => (id === '' ? '(no school)' : (input.names?.get(id) ?? id));
  const out: string[] = [];
  const { period } = input;
  out.push(`District ${period.districtId} — app utilization ${period.from} to ${period.to} (district-local days)`);
  out.push(
    usageTable(
      ['app', 'active users', 'events', 'engaged hours', 'days used'],
      input.district.map((r) => [name(r.app_id), r.active_users, r.events, hours(r.engaged_seconds), r.active_days]),
    ),
  );

  out.push('', `Per school — top ${input.topAppsPerSchool ?? 5} apps by active users`);
  const bySchool = new Map<string, SchoolUsageRow[]>();
  for (const r of input.schools) bySchool.set(r.school_id, [...(bySchool.get(r.school_id) ?? []), r]);
  const schoolRows: (string | number)[][] = [];
  for (const [school, rows] of bySchool) {
    for (const r of rows.slice(0, input.topAppsPerSchool ?? 5)) {
      schoolRows.push([name(school), name(r.app_id), r.active_users, r.events, hours(r.engaged_seconds)]);
    }
  }
  out.push(usageTable(['school', 'app', 'active users', 'events', 'engaged hours'], schoolRows));

  const topClasses = [...input.classes]
    .sort((a, b) => b.engaged_seconds - a.engaged_seconds)
    .slice(0, input.topClasses ?? 15);
  out.push('', `Per classroom — ${topClasses.length} classroom × app cells with the most engaged time`);
  out.push(
    usageTable(
      ['school', 'class', 'app', 'active users', 'events', 'engaged hours'],
      topClasses.map((r) => [
        name(r.school_id),
        name(r.class_id),
        name(r.app_id),
        r.active_users,
        r.events,
        hours(r.engaged_seconds),
      ]),
    ),
  );

  const u = input.unresolved;
  out.push('', 'Unresolved (kept and counted, never dropped)');
  out.push(
    usageTable(
      ['measure', 'events', 'share'],
      [
        ['all stored events', u.total_events, '100%'],
        ['person not in roster', u.unresolved_person_events, pct(u.unresolved_person_events, u.total_events)],
        ['app not in catalog', u.unresolved_app_events, pct(u.unresolved_app_events, u.total_events)],
        ['no school attributed', u.unattributed_school_events, pct(u.unattributed_school_events, u.total_events)],
      ],
    ),
  );
  if (u.top_unresolved_apps.length > 0) {
    out.push(
      usageTable(
        ['unresolved app', 'unresolved events', 'active users (all its events)'],
        u.top_unresolved_apps.map((d) => [d.app_id, d.events, d.active_users]),
      ),
      // The rollups count people over all of an app's events: an app a catalog import resolved mid-period
      // has more users here than people behind its unresolved events.
      "active users: the app's distinct people over all its events in the period, resolved ones included",
    );
  }

  out.push('', 'Dead letters (rejected input) by reason');
  out.push(
    input.deadLetters.length === 0
      ? '(none)'
      : usageTable(
          ['stage', 'source', 'reason', 'count'],
          input.deadLetters.map((d) => [d.stage, d.source, d.reason_code, d.count]),
        ),
  );
  return out.join('\n');
}

function pct(part: number, whole: number): string {
  return whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`;
}
