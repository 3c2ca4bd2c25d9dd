import { hours } from './html';
import type { Column } from './table';

/** A row of /v1/usage/district (and, with school/class ids, of /v1/usage/schools and /classes). */
export interface UsageRow {
  app_id: string;
  active_users: number;
  events: number;
  engaged_seconds: number;
  active_days: number;
  school_id?: string;
  class_id?: string;
}

export const usageMeasureColumns: Column<UsageRow>[] = [
  { key: 'active_users', label: 'Active users', numeric: true, value: (r) => r.active_users },
  { key: 'engaged_hours', label: 'Engaged hours', numeric: true, decimals: 1, value: (r) => hours(r.engaged_seconds) },
  { key: 'events', label: 'Events', numeric: true, value: (r) => r.events },
  { key: 'active_days', label: 'Days used', numeric: true, value: (r) => r.active_days },
];

export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
