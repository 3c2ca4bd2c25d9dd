export {
  districtAppUsage,
  schoolAppUsage,
  classAppUsage,
  districtAppUsageListing,
  schoolAppUsageListing,
  classAppUsageListing,
  unresolvedSummary,
  deadLetterSummary,
  deadLetterDaily,
  districtFreshness,
  type UsageRow,
  type SchoolUsageRow,
  type ClassUsageRow,
  type JsonRows,
  type UsageListing,
  type UnresolvedSummary,
  type DeadLetterCount,
  type DeadLetterDay,
  type Period,
  type UsageFilter,
  type UsageReadAs,
  type DistrictFreshness,
} from './queries';
export { renderUtilizationReport } from './render';
export { currentEventsOfDays, type EventDays } from './current-events';
export { campusUsage, CAMPUS_VALUES, type Campus, type CampusUsageRow } from './campus';
export { weeklyDistrictUsage, weeksEndingOn, weekDays, WEEK_DAYS, type WeeklyUsageRow } from './weekly';
