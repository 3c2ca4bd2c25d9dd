/**
 * The CSV reader both imports (licenses, assessment results) stand on. A stray quote that opens a cell
 * and never closes on its line makes the CSV grammar swallow the lines after it; the reader must
 * reject that line alone, name it, and read every line behind it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importLicenses, readCsvRecords, unreadableRows, type RowIssue } from '../src';

const SPEC = { a: ['a'], b: ['b'], c: ['c'] };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'csv-records-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The records read from `content` as `line:a|b|c`, and the issues as `line message`. */
async function read(content: string | Buffer, spec: Record<string, readonly string[]> = SPEC) {
  const file = path.join(dir, 'f.csv');
  writeFileSync(file, content);
  const issues: RowIssue[] = [];
  const records: string[] = [];
  for await (const r of readCsvRecords(file, spec, () => undefined, issues))
    records.push(`${r.line}:${['a', 'b', 'c'].map((f) => r.values.get(f)).join('|')}`);
  return { records, issues: issues.map((i) => `${i.line} ${i.message}`), lost: unreadableRows(issues) };
}

const RUNAWAY =
  'a quote opened on this line is not closed on it: the line is rejected and the lines after it read again';

describe('readCsvRecords', () => {
  it('rejects a line whose quote runs to the end of the file and reads the lines after it', async () => {
    const got = await read(['a,b,c', '1,2,3', '2,"20,x', '3,4,5', '4,5,6', ''].join('\n'));
    expect(got).toEqual({ records: ['2:1|2|3', '4:3|4|5', '5:4|5|6'], issues: [`3 ${RUNAWAY}`], lost: 1 });
  });

  it("rejects a line whose quote is closed by a later line's quote, and reads the lines between", async () => {
    const got = await read(['a,b,c', '1,2,3', '2,"20,x', '3,4,5', '', '5,"multi', 'line",7', '6,7,8'].join('\n'));
    expect(got).toEqual({
      records: ['2:1|2|3', '4:3|4|5', '6:5|multi\nline|7', '8:6|7|8'],
      issues: [`3 ${RUNAWAY}`],
      lost: 1,
    });
  });

  it('keeps a real multi-line cell and names each record by its first line, CRLF and BOM included', async () => {
    const crlf = ['a,b,c', '1,2,3', '', '5,"multi', 'line",7', '6,"x', '7,8,9', '8,9,10'].join('\r\n');
    const got = await read(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(crlf)]));
    expect(got).toEqual({
      records: ['2:1|2|3', '4:5|multi\r\nline|7', '7:7|8|9', '8:8|9|10'],
      issues: [`6 ${RUNAWAY}`],
      lost: 1,
    });
  });

  it('recovers from several stray quotes and reports rows with too many cells at their line', async () => {
    const got = await read(['a,b,c', '"1,2,3', '2,3,4', '3,"4,5', '4,5,6,7', '5,6,7'].join('\n'));
    expect(got).toEqual({
      records: ['3:2|3|4', '6:5|6|7'],
      issues: [`2 ${RUNAWAY}`, `4 ${RUNAWAY}`, '5 4 cells but the header has 3'],
      lost: 3,
    });
  });
});

describe('blank rows', () => {
  it('skips a row of only delimiters, as a spreadsheet exports trailing blank rows', async () => {
    const got = await read(['a,b,c', '1,2,3', ',,', ' , ,', '4,5,6', ',,'].join('\n'));
    expect(got).toEqual({ records: ['2:1|2|3', '5:4|5|6'], issues: [], lost: 0 });
  });
});

describe('what a stray quote must not do (second review)', () => {
  it('a quote closed by chance in the same column of a later line does not swallow the lines between', async () => {
    const got = await read(['a,b,c', '1,"oops,x', '2,y,z', '3,y,z', '4,"Good" price,w', '5,y,z'].join('\n'));
    expect(got.issues).toEqual([`2 ${RUNAWAY}`]);
    expect(got.records.map((r) => r.split(':')[0])).toEqual(['3', '4', '5', '6']);
    expect(got.lost).toBe(1);
  });

  it('keeps a well-formed multi-line cell in a row shorter than the header', async () => {
    const got = await read(['a,b,c,d', '1,"note', 'more",3', '5,6,7,8'].join('\n'), { ...SPEC, d: ['d'] });
    expect(got).toEqual({ records: ['2:1|note\nmore|3', '4:5|6|7'], issues: [], lost: 0 });
  });

  it('counts lines of only quotes and delimiters as blank, as the parser skips them', async () => {
    const got = await read(['a,b,c', '1,2,3', '"",""', '\u00a0', '4,5,6'].join('\n'));
    expect(got).toEqual({ records: ['2:1|2|3', '5:4|5|6'], issues: [], lost: 0 });
  });

  it('numbers the lines of a file whose lines end in a lone CR (old Mac exports)', async () => {
    const got = await read('a,b,c\r1,2,3\r4,5,6,7\r6,7,8\r');
    expect(got).toEqual({ records: ['2:1|2|3', '4:6|7|8'], issues: ['3 4 cells but the header has 3'], lost: 1 });
  });

  it('stops a quote left open over a large file at 1 MiB and reads every line after it', async () => {
    const rows = Array.from({ length: 40_000 }, (_, i) => `${i},${'x'.repeat(30)},z`);
    const got = await read(['a,b,c', '-1,"open', ...rows].join('\n'));
    expect(got.issues).toEqual([`2 ${RUNAWAY}`]);
    expect(got.records).toHaveLength(40_000);
    expect(got.records[0]).toBe(`3:0|${'x'.repeat(30)}|z`);
  });

  it('blames a line of a lone quote, not the good row after it', async () => {
    const got = await read(['a,b,c', '1,2,3', '"', '4,5,6', '7,8,9'].join('\n') + '\n');
    expect(got).toEqual({ records: ['2:1|2|3', '4:4|5|6', '5:7|8|9'], issues: [`3 ${RUNAWAY}`], lost: 1 });
  });

  it('refuses a file with more than 1,000 unreadable lines instead of reading part of it', async () => {
    const lines = ['a,b,c', ...Array.from({ length: 1050 }, (_, i) => `${i},"bad,z`)];
    await expect(read(lines.join('\n'))).rejects.toThrow(/more than 1000 lines are not readable CSV/);
  });
});

describe('an import with a stray quote', () => {
  const HEADER = 'appId,orgSourcedId,seatsPurchased,contractCost,currency,contractStartDate,contractEndDate,audience';

  it('keeps the licenses behind the bad line and counts the bad line as rejected', async () => {
    const file = path.join(dir, 'licenses.csv');
    writeFileSync(
      file,
      [
        HEADER,
        'ixl,d1,10,100,USD,2025-07-01,2026-06-30,students',
        'nearpod,d1,10,100,USD,"2025-07-01,2026-06-30,students', // 3: the quote never closes
        'kahoot,d1,10,100,USD,2025-07-01,2026-06-30,students',
        'quizlet,d1,10,100,USD,2025-07-01,2026-06-30,students',
      ].join('\n') + '\n',
    );
    const r = await importLicenses(null, 'd1', file);
    expect(r).toMatchObject({ accepted: 3, rejected: 1, refused: null });
    expect(r.issues.map((i) => `${i.line} ${i.message}`)).toEqual([`3 ${RUNAWAY}`]);
  });
});
