import { onCampusShare } from '../../campus';
import { fmt1, fmtInt, fmtPct, hours } from '../../html';
import { dayCount, isWholeWeek, weekDays } from '../../period';
import { sum } from '../../usage';
import type { OverviewAnswers } from './answers';
import type { PipelineState } from './pipeline';

type Kpi = [label: string, shown: string];

/** The key figures at the top of the overview, in the order shown. */
export function overviewKpis(a: OverviewAnswers, { kafkaLag }: PipelineState): Kpi[] {
  const u = a.unresolved;
  const share = (n: number) => (u.total_events > 0 ? n / u.total_events : null);
  // Only when Kafka answered; the pipeline health section says why it did not.
  const lagKpis: Kpi[] = kafkaLag ? [['Pipeline lag (messages)', fmtInt(sum(kafkaLag.map((g) => g.lag)))]] : [];
  // A period under 7 days is one short week: named by its days, not as a week.
  const last = a.weekRows.at(-1);
  const lastWeek = !last || isWholeWeek(last) ? 'last week' : `last ${dayCount(weekDays(last))}`;
  return [
    ['Apps in use', fmtInt(a.apps.length)],
    ['Engaged hours', fmt1(hours(sum(a.apps.map((app) => app.engaged_seconds))))],
    [`Active users, ${lastWeek}`, fmtInt(last?.total.active_users ?? 0)],
    ['Events', fmtInt(u.total_events)],
    ['Unresolved app share', fmtPct(share(u.unresolved_app_events))],
    ['Engaged time on campus', onCampusShare(a.campus)],
    ['Dead letters today', fmtInt(sum(a.deadToday.map((r) => r.count)))],
    ['Dead letters (all time)', fmtInt(sum(a.deadLetters.map((r) => r.count)))],
    ...lagKpis,
  ];
}
