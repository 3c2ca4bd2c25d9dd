import { chart } from '../charts';
import { rowsOf } from '../data';
import { deadLetterHistory, type DeadLetterDayRow } from '../dead-letters';
import { figureSection } from '../figure';
import { html } from '../html';
import type { PageDefinition } from '../page';
import { pagePeriod } from '../period';
import { table } from '../table';
import { sum } from '../usage';

interface DeadLetterRow {
  stage: string;
  source: string;
  reason_code: string;
  count: number;
}
interface ImportRow {
  kind: string;
  version: string;
  imported_at: string;
  current: boolean;
  accepted_rows: number;
  rejected_rows: number | null;
  detail: string;
}

export const healthPage: PageDefinition = {
  slug: 'health',
  nav: 'Data health',
  roles: ['admin', 'director'],
  async build({ deps, principal, query, utcToday }) {
    // Dead letters and imports are dated in UTC days: the default period ends on the UTC day.
    const period = pagePeriod(query, utcToday);
    const [dead, daily, imports] = await Promise.all([
      rowsOf<DeadLetterRow>(deps, principal, '/v1/dead-letters', {}),
      rowsOf<DeadLetterDayRow>(deps, principal, '/v1/dead-letters/daily', period),
      rowsOf<ImportRow>(deps, principal, '/v1/imports', { limit: '100' }),
    ]);
    const reasons = [...new Set(dead.rows.map((r) => r.reason_code))];
    const byReason = reasons
      .map((reason) => ({ reason, count: sum(dead.rows.filter((r) => r.reason_code === reason).map((r) => r.count)) }))
      .sort((a, b) => b.count - a.count);
    return {
      title: 'Data health',
      period,
      freshnessChoice: false,
      blocks: [
        html`<h2>Dead letters</h2>
          <p class="note">
            Rejected inputs of this district; a re-sent bad input counts once, on the (UTC) day it was first rejected.
            Letters whose district could not be read are not shown (they may be another district's). The totals are all
            time; the history below covers the period.
          </p>
          <h3>All time</h3>`,
        ...figureSection({
          charts: [
            chart({
              title: 'Dead letters by reason, all time',
              kind: 'hbar',
              valueName: 'inputs',
              categories: byReason.map((r) => r.reason),
              series: [{ name: 'inputs', values: byReason.map((r) => r.count) }],
            }),
          ],
          table: table({
            id: 'dead-letters',
            caption: 'Dead letters by stage, source and reason',
            empty: 'No dead letters: every input of this district was accepted.',
            rows: dead.rows,
            columns: [
              { key: 'stage', label: 'Stage', value: (r) => r.stage },
              { key: 'source', label: 'Source', value: (r) => r.source },
              { key: 'reason_code', label: 'Reason', value: (r) => r.reason_code },
              { key: 'count', label: 'Inputs', numeric: true, value: (r) => r.count },
            ],
          }),
        }),
        ...deadLetterHistory(daily.rows, period),
        html`<h2>Imports</h2>`,
        table({
          id: 'imports',
          caption: 'Roster, license and approval imports, newest first',
          empty: 'Nothing imported yet (roster: `enrich roster import`; licenses: `licenses import`).',
          rows: imports.rows,
          columns: [
            { key: 'kind', label: 'Kind', value: (r) => r.kind },
            { key: 'imported_at', label: 'Imported at (UTC)', nowrap: true, value: (r) => r.imported_at },
            { key: 'version', label: 'Version', value: (r) => r.version },
            { key: 'current', label: 'In use', value: (r) => (r.current ? 'yes' : 'no') },
            { key: 'accepted_rows', label: 'Accepted rows', numeric: true, value: (r) => r.accepted_rows },
            { key: 'rejected_rows', label: 'Rejected rows', numeric: true, value: (r) => r.rejected_rows },
            { key: 'detail', label: 'Detail', value: (r) => r.detail },
          ],
        }),
      ],
    };
  },
};
