/** The dashboard's pure parts: the period from the address, its weeks, escaping, and a table's CSV. */
import { PageError } from '../src/dashboard/data';
import { figureSection } from '../src/dashboard/figure';
import { html, Html } from '../src/dashboard/html';
import { chartedWeeks, pagePeriod, weekLabel, weeksOf } from '../src/dashboard/period';
import { compactionLine } from '../src/dashboard/pages/overview';
import { renderTable, table, tableCsv } from '../src/dashboard/table';

const messagesOf = (f: () => unknown): string[] => {
  try {
    f();
  } catch (err) {
    if (err instanceof PageError) return err.messages;
    throw err;
  }
  throw new Error('no PageError');
};

describe('pagePeriod', () => {
  test('defaults to the 12 weeks (84 days) ending today, or starting at from', () => {
    expect(pagePeriod({}, '2026-09-17')).toEqual({ from: '2026-06-26', to: '2026-09-17' });
    expect(pagePeriod({ from: '2026-01-01' }, '2026-09-17')).toEqual({ from: '2026-01-01', to: '2026-03-25' });
    expect(pagePeriod({ to: '2026-03-01' }, '2026-09-17')).toEqual({ from: '2025-12-08', to: '2026-03-01' });
  });
  test('bad dates name the field', () => {
    expect(messagesOf(() => pagePeriod({ from: '2026-09-30', to: '2026-09-01' }, '2026-09-17'))).toEqual([
      'to: must not be before from',
    ]);
    expect(messagesOf(() => pagePeriod({ from: '2006-01-01', to: '2026-01-01' }, '2026-09-17'))).toEqual([
      'to: the period may span at most 366 days',
    ]);
    expect(messagesOf(() => pagePeriod({ from: 'yesterday' }, '2026-09-17'))).toEqual([
      'from: must be a date YYYY-MM-DD',
    ]);
    expect(messagesOf(() => pagePeriod({ to: '2026-02-29' }, '2026-09-17'))[0]).toBe('to: is not a calendar day');
  });
  test('freshness: the API values go with the period (absent = the API default); another value names the field', () => {
    expect(pagePeriod({ to: '2026-03-01', freshness: 'compacted' }, '2026-09-17')).toStrictEqual({
      from: '2025-12-08',
      to: '2026-03-01',
      freshness: 'compacted',
    });
    expect(pagePeriod({ to: '2026-03-01', freshness: '' }, '2026-09-17')).toStrictEqual({
      from: '2025-12-08',
      to: '2026-03-01',
    });
    const bad = messagesOf(() => pagePeriod({ freshness: 'stale' }, '2026-09-17'));
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(/^freshness: .*compacted/);
  });
});

describe('weeksOf', () => {
  test('7-day weeks ending on to, the first cut at from', () => {
    expect(weeksOf({ from: '2026-09-01', to: '2026-09-17' })).toEqual([
      { from: '2026-09-01', to: '2026-09-03' },
      { from: '2026-09-04', to: '2026-09-10' },
      { from: '2026-09-11', to: '2026-09-17' },
    ]);
    expect(weeksOf({ from: '2026-09-17', to: '2026-09-17' })).toEqual([{ from: '2026-09-17', to: '2026-09-17' }]);
  });
  test("each week keeps the period's freshness", () => {
    expect(weeksOf({ from: '2026-09-10', to: '2026-09-17', freshness: 'compacted' })).toStrictEqual([
      { from: '2026-09-10', to: '2026-09-10', freshness: 'compacted' },
      { from: '2026-09-11', to: '2026-09-17', freshness: 'compacted' },
    ]);
  });
});

describe('partial weeks on charts', () => {
  test('a trend draws whole weeks only: the first week cut at from is left out', () => {
    const weeks = weeksOf({ from: '2026-09-01', to: '2026-09-30' });
    expect(weeks[0]).toEqual({ from: '2026-09-01', to: '2026-09-02' });
    expect(chartedWeeks(weeks).map(weekLabel)).toEqual(['2026-09-09', '2026-09-16', '2026-09-23', '2026-09-30']);
  });
  test('a period under a week: its one week is drawn, labelled with its days; whole weeks are by their last day', () => {
    const [only] = weeksOf({ from: '2026-09-14', to: '2026-09-16' });
    expect(chartedWeeks([only!])).toEqual([only]);
    expect(weekLabel(only!)).toBe('2026-09-16 (3 days)');
    expect(weekLabel({ from: '2026-09-16', to: '2026-09-16' })).toBe('2026-09-16 (1 day)');
    expect(weekLabel({ from: '2026-09-10', to: '2026-09-16' })).toBe('2026-09-16');
  });
});

describe('tables', () => {
  const t = table({
    id: 'x',
    caption: 'Apps <b>',
    empty: 'none',
    rows: [
      { app: 'a,b "quoted"', n: 1234.5, none: null },
      { app: '<script>alert(1)</script>', n: 0, none: null },
    ],
    columns: [
      { key: 'app', label: 'App', value: (r) => r.app },
      { key: 'n', label: 'N', numeric: true, decimals: 1, value: (r) => r.n },
      { key: 'none', label: 'None', value: (r) => r.none },
    ],
  });
  test('CSV quotes commas and quotes (RFC 4180) and leaves null cells empty', () => {
    expect(tableCsv(t)).toBe('app,n,none\n"a,b ""quoted""",1234.5,\n<script>alert(1)</script>,0,\n');
  });
  test('CSV defuses formula-like text with a leading quote and leaves numbers as they are', () => {
    const f = table({
      id: 'f',
      caption: 'Apps',
      empty: 'none',
      rows: [
        { app: '=hyperlink("https://evil","x")', n: -5 },
        { app: '+1', n: 2.5 },
        { app: '@sum(A1)', n: 0 },
      ],
      columns: [
        { key: 'app', label: 'App', value: (r) => r.app },
        { key: 'n', label: 'N', numeric: true, value: (r) => r.n },
      ],
    });
    expect(tableCsv(f)).toBe(`app,n\n"'=hyperlink(""https://evil"",""x"")",-5\n'+1,2.5\n'@sum(A1),0\n`);
  });
  test('HTML escapes every value and keeps the raw number in data-value', () => {
    const out = renderTable(t, '/dashboard/apps?download=x').value;
    expect(out).not.toContain('<script>');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toMatch(/<caption>\s*Apps &lt;b&gt;\s*<\/caption>/);
    expect(out).toMatch(/data-value="1234.5" class="num">\s*1,234.5\s*</);
    expect(html`<p>${'"x" & y'}</p>`.value).toBe('<p>&quot;x&quot; &amp; y</p>');
  });
});

describe('figureSection', () => {
  const t = table({ id: 'f', caption: 'F', empty: 'none', rows: [], columns: [] });
  const pictures = [html`<figure>1</figure>`, html`<figure>2</figure>`];
  test('heading, then the charts in order, then the table of the same data', () => {
    const blocks = figureSection({ heading: 'Apps & <users>', charts: pictures, table: t });
    expect(blocks.map((b) => (b instanceof Html ? b.value : `table ${b.id}`))).toEqual([
      '<h2>Apps &amp; &lt;users&gt;</h2>',
      '<figure>1</figure>',
      '<figure>2</figure>',
      'table f',
    ]);
  });
  test('a heading already built is kept as given; no heading and no chart leave the table alone', () => {
    const heading = html`<h3 id="x">Per day</h3>`;
    expect(figureSection({ heading, charts: [], table: t })).toEqual([heading, t]);
    expect(figureSection({ table: t })).toEqual([t]);
  });
});

describe('compactionLine (overview, pipeline health)', () => {
  const text = (h: Html) => h.value.replace(/<[^>]+>/g, '');
  test('the last run with its age, and the months waiting', () => {
    expect(
      text(
        compactionLine({
          last_checked_at: '2026-09-17T10:00:00Z',
          seconds_since_checked: 3_000,
          months_not_compacted: [202610, 202611],
        }),
      ),
    ).toBe(
      'Rollup compaction: last run 2026-09-17 10:00 UTC (50 minutes ago); months not compacted yet: 2026-10, 2026-11.',
    );
  });
  test('no run yet', () => {
    expect(
      text(compactionLine({ last_checked_at: null, seconds_since_checked: null, months_not_compacted: [202609] })),
    ).toBe('Rollup compaction: no compaction run yet; months not compacted yet: 2026-09.');
  });
});
