import { chart } from './charts';
import { figureSection } from './figure';
import { fmtPct, hours, html, type Html } from './html';
import { table, type Table } from './table';

/** A row of /v1/usage/campus. */
export interface CampusRow {
  campus: 'on' | 'off' | 'unknown';
  events: number;
  engaged_seconds: number;
  events_share: number | null;
  engaged_share: number | null;
}

const LABELS: Record<CampusRow['campus'], string> = { on: 'on campus', off: 'off campus', unknown: 'unknown' };
const pct = (share: number | null) => (share === null ? null : Math.round(share * 1000) / 10);

/**
 * The on-campus share of engaged time, as the overview's key figure shows it; "not known" when no
 * event said its network (0 % on campus would read as "all off campus").
 */
export function onCampusShare(rows: CampusRow[]): string {
  const known = rows.filter((r) => r.campus !== 'unknown').some((r) => r.engaged_seconds > 0);
  return known ? fmtPct(rows.find((r) => r.campus === 'on')?.engaged_share ?? null) : 'not known';
}

/** The overview's campus figure: shares of engaged time and of events, a chart and its table. */
export function campusBlocks(rows: CampusRow[], period: { from: string; to: string }): (Html | Table)[] {
  const none = rows.every((r) => r.events === 0);
  return [
    ...figureSection({
      heading: 'On and off campus',
      charts: none
        ? []
        : [
            chart({
              title: `Share of engaged time and of events on and off campus, ${period.from} to ${period.to}`,
              kind: 'bar',
              valueName: 'share',
              percent: true,
              categories: rows.map((r) => LABELS[r.campus]),
              series: [
                { name: 'engaged time', values: rows.map((r) => r.engaged_share) },
                { name: 'events', values: rows.map((r) => r.events_share) },
              ],
            }),
          ],
      table: table({
        id: 'campus',
        caption: 'Engaged time and events by network',
        empty: 'No events in this period.',
        rows: none ? [] : rows,
        columns: [
          { key: 'campus', label: 'Network', value: (r) => r.campus, show: (r) => LABELS[r.campus] },
          {
            key: 'engaged_hours',
            label: 'Engaged hours',
            numeric: true,
            decimals: 1,
            value: (r) => hours(r.engaged_seconds),
          },
          {
            key: 'engaged_share_pct',
            label: 'Share of engaged time (%)',
            numeric: true,
            decimals: 1,
            value: (r) => pct(r.engaged_share),
          },
          { key: 'events', label: 'Events', numeric: true, value: (r) => r.events },
          {
            key: 'events_share_pct',
            label: 'Share of events (%)',
            numeric: true,
            decimals: 1,
            value: (r) => pct(r.events_share),
          },
        ],
      }),
    }),
    none
      ? html``
      : html`<p class="note">
          Read from the stored events themselves (the rollups have no network dimension), always live: each event
          counted once in its current version, so the events add up to the period's read live (as of the compactions
          they may include the events since). "Unknown": the event did not say, or its address matched none of the
          district's campus networks. A minute with hits both on and off campus counts in both rows.
        </p>`,
  ];
}
