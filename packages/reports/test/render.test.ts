/** The printed utilization report: what its columns say they count. */
import { renderUtilizationReport, type UnresolvedSummary } from '../src';

const period = { districtId: 'd1', from: '2026-09-01', to: '2026-09-30' };

/** The reviewer's case: app `foo` had 5 unresolved events (5 people) before a catalog import, then 35 resolved (16 people in all). */
const unresolved: UnresolvedSummary = {
  total_events: 40,
  unresolved_person_events: 0,
  unresolved_app_events: 5,
  unattributed_school_events: 0,
  top_unresolved_apps: [{ app_id: 'foo', events: 5, active_users: 16 }],
};

const report = () =>
  renderUtilizationReport({ period, district: [], schools: [], classes: [], unresolved, deadLetters: [] });

test("unresolved apps: the events are the unresolved ones, the users column says it is the app's users over all its events", () => {
  const lines = report().split('\n');
  const header = lines.find((l) => l.includes('unresolved app'))!;
  expect(header).toMatch(/unresolved events/);
  expect(header).toMatch(/active users \(all its events\)/);
  // The row: 5 unresolved events, 16 people over all of foo's events (the rollups count no people per resolution).
  expect(lines.find((l) => /\bfoo\b/.test(l))).toMatch(/foo\s+│?\s*5\s+│?\s*16/);
  // Said in words under the table too.
  expect(report()).toMatch(/resolved ones included/);
});
