import type { ClassUsageRow, UsageRow as ReportUsageRow } from '@edusage/reports';
import { hours } from './html';
import type { Column } from './table';

/** A usage row of any level as the usage endpoints answer it (@edusage/reports' rows; school and class only below the district). */
export type UsageRow = ReportUsageRow & Partial<Pick<ClassUsageRow, 'school_id' | 'class_id'>>;

export const usageMeasureColumns: Column<UsageRow>[] = [
  { key: 'active_users', label: 'Active users', numeric: true, value: (r) => r.active_users },
  { key: 'engaged_hours', label: 'Engaged hours', numeric: true, decimals: 1, value: (r) => hours(r.engaged_seconds) },
  { key: 'events', label: 'Events', numeric: true, value: (r) => r.events },
  { key: 'active_days', label: 'Days used', numeric: true, value: (r) => r.active_days },
];

export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
