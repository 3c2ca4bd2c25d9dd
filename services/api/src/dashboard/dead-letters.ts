import { chart } from './charts';
import { figureSection } from './figure';
import { html, type Html } from './html';
import type { Period } from './period';
import { table, type Table } from './table';
import { sum } from './usage';

/** A row of /v1/dead-letters/daily. */
export interface DeadLetterDayRow {
  day: string;
  stage: string;
  source: string;
  reason_code: string;
  count: number;
}

const addDay = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** Every day of the period, so days without rejections show as zero in the chart. */
function daysOf(p: Period): string[] {
  const days: string[] = [];
  for (let d = p.from; d <= p.to; d = addDay(d)) days.push(d);
  return days;
}

/** A stacked per-day chart of the rows split by one field (reason or source). */
function perDayChart(
  rows: DeadLetterDayRow[],
  days: string[],
  by: 'reason_code' | 'source',
  what: string,
  period: Period,
) {
  const names = [...new Set(rows.map((r) => r[by]))].sort();
  return chart({
    title: `New rejected inputs per day by ${what}, ${period.from} to ${period.to}`,
    kind: 'bar',
    stacked: true,
    valueName: 'inputs',
    categories: days,
    series: names.map((name) => ({
      name,
      values: days.map((d) => sum(rows.filter((r) => r.day === d && r[by] === name).map((r) => r.count))),
    })),
  });
}

/** The Data health page's history: new rejected inputs per day by reason and by source, charts and table. */
export function deadLetterHistory(rows: DeadLetterDayRow[], period: Period): (Html | Table)[] {
  const days = daysOf(period);
  return figureSection({
    heading: html`<h3>Per day</h3>`,
    charts:
      rows.length === 0
        ? []
        : [
            perDayChart(rows, days, 'reason_code', 'reason', period),
            perDayChart(rows, days, 'source', 'source', period),
          ],
    table: table({
      id: 'dead-letters-daily',
      caption: 'New rejected inputs per day, stage, source and reason',
      empty: `No input of this district was rejected from ${period.from} to ${period.to}.`,
      rows,
      columns: [
        { key: 'day', label: 'Day (UTC)', value: (r) => r.day },
        { key: 'stage', label: 'Stage', value: (r) => r.stage },
        { key: 'source', label: 'Source', value: (r) => r.source },
        { key: 'reason_code', label: 'Reason', value: (r) => r.reason_code },
        { key: 'count', label: 'Inputs', numeric: true, value: (r) => r.count },
      ],
    }),
  });
}

/** The overview's pipeline-health table of today's new rejected inputs. */
export function deadLettersToday(rows: DeadLetterDayRow[], today: string): Table {
  return table({
    id: 'dead-letters-today',
    caption: `Dead letters today (${today}, UTC) by stage, source and reason`,
    empty: 'No input was rejected today.',
    rows,
    columns: [
      { key: 'stage', label: 'Stage', value: (r) => r.stage },
      { key: 'source', label: 'Source', value: (r) => r.source },
      { key: 'reason_code', label: 'Reason', value: (r) => r.reason_code },
      { key: 'count', label: 'Inputs', numeric: true, value: (r) => r.count },
    ],
  });
}
