import { table, type Table } from '../../table';
import type { Unresolved } from './answers';

/** The share of the period's events whose person, app or school is not known (none without events). */
export function unresolvedTable(u: Unresolved): Table {
  return table({
    id: 'unresolved',
    caption: 'Unresolved share of events',
    empty: 'No events in this period.',
    rows:
      u.total_events === 0
        ? []
        : [
            { what: 'person not in the roster', events: u.unresolved_person_events },
            { what: 'app not in the catalog', events: u.unresolved_app_events },
            { what: 'no school', events: u.unattributed_school_events },
          ],
    columns: [
      { key: 'what', label: 'Events with', value: (r) => r.what },
      { key: 'events', label: 'Events', numeric: true, value: (r) => r.events },
      {
        key: 'share_pct',
        label: 'Share of all events (%)',
        numeric: true,
        decimals: 1,
        value: (r) => Math.round((r.events / u.total_events) * 1000) / 10,
      },
    ],
  });
}
