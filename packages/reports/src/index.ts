export {
  districtAppUsage,
  schoolAppUsage,
  classAppUsage,
  unresolvedSummary,
  deadLetterSummary,
  type UsageRow,
  type SchoolUsageRow,
  type ClassUsageRow,
  type UnresolvedSummary,
  type DeadLetterCount,
  type Period,
} from './queries';
export { renderUtilizationReport } from './render';
