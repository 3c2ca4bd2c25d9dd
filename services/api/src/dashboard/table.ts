import { defuseFormula } from '@edusage/research';
import { stringify } from 'csv-stringify/sync';
import { esc, fmtFixed, fmtInt, html, Html } from './html';

type Value = string | number | boolean | null;

export interface Column<Row> {
  key: string;
  label: string;
  value(row: Row): Value;
  /** Shown text (default: the value, numbers formatted); the CSV always has the plain value. */
  show?(row: Row): Html | string;
  /** Right-aligned, formatted as a number. */
  numeric?: boolean;
  /** Decimals shown (default: whole numbers); the CSV and data-value keep the value as given. */
  decimals?: number;
  /** Kept on one line (dates: a browser would break them at the hyphens). */
  nowrap?: boolean;
  /** In the CSV only (a name beside the id column the page shows by that name). */
  csvOnly?: boolean;
}

/** A table of a page: shown as HTML with a CSV download of the same rows. */
export interface Table<Row = unknown> {
  /** Unique on its page: the CSV link is `?download=<id>` on the page's own URL. */
  id: string;
  caption: string;
  columns: Column<Row>[];
  rows: Row[];
  /** Text shown instead of an empty table. */
  empty: string;
}

export function table<Row>(t: Table<Row>): Table {
  return t as unknown as Table;
}

function shown(c: Column<unknown>, row: unknown): Html | string {
  if (c.show) return c.show(row);
  const v = c.value(row);
  if (v === null) return '—';
  if (typeof v === 'number') return c.decimals ? fmtFixed(v, c.decimals) : fmtInt(v);
  return String(v);
}

function cellClass(c: Column<unknown>): string {
  const classes = [...(c.numeric ? ['num'] : []), ...(c.nowrap ? ['nowrap'] : [])];
  return classes.length === 0 ? '' : ` class="${classes.join(' ')}"`;
}

/** The table as HTML: a caption, column headers with scope, raw numbers in data-value (tests compare them). */
export function renderTable(t: Table, downloadHref: string): Html {
  const download = html`<a class="csv" href="${downloadHref}" download
    >Download CSV<span class="sr"> of ${t.caption}</span></a
  >`;
  if (t.rows.length === 0)
    return html`<div class="table-block" id="t-${t.id}">
      <p class="caption">${t.caption}</p>
      <p class="empty">${t.empty}</p>
      ${download}
    </div>`;
  const columns = t.columns.filter((c) => !c.csvOnly);
  const head = columns.map((c) => html`<th scope="col" class="${c.numeric ? 'num' : ''}">${c.label}</th>`);
  const body = t.rows.map(
    (r) =>
      html`<tr>
        ${columns.map((c, i) => {
          const v = c.value(r);
          const tag = i === 0 ? 'th scope="row"' : 'td';
          const end = i === 0 ? 'th' : 'td';
          return new Html(
            `<${tag} data-col="${esc(c.key)}" data-value="${esc(v ?? '')}"${cellClass(c)}>${html`${shown(c as Column<unknown>, r)}`.value}</${end}>`,
          );
        })}
      </tr>`,
  );
  return html`<div class="table-block" id="t-${t.id}">
    <div class="scroll" tabindex="0" role="region" aria-label="${t.caption}">
      <table data-table="${t.id}">
        <caption>
          ${t.caption}
        </caption>
        <thead>
          <tr>
            ${head}
          </tr>
        </thead>
        <tbody>
          ${body}
        </tbody>
      </table>
    </div>
    ${download}
  </div>`;
}

/**
 * The table as CSV (RFC 4180 via csv-stringify): the plain values, header = column keys. Text a
 * spreadsheet would run as a formula gets a leading `'` (defuseFormula, as the /v1 CSV): app ids and
 * names come from senders.
 */
export function tableCsv(t: Table): string {
  const cell = (v: Value) => (v === null ? '' : typeof v === 'string' ? defuseFormula(v) : v);
  return stringify(
    t.rows.map((r) => t.columns.map((c) => cell(c.value(r)))),
    { header: true, columns: t.columns.map((c) => c.key), cast: { boolean: (b) => (b ? 'true' : 'false') } },
  );
}
