/**
 * The CSV rows of an event file, read through @edusage/csv. A rejected row's text is its dead
 * letter's payload, so it stays what csv-parse gave before the shared reader. The oracle is
 * csv-parse itself, read the way the previous reader read it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { readCsvRecords, type CsvItem } from '../src/csv-records';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ingest-csv-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function items(content: string): Promise<CsvItem[]> {
  const file = path.join(dir, 'events.csv');
  writeFileSync(file, content);
  const out: CsvItem[] = [];
  for await (const item of readCsvRecords(file, (h) => h, { trim: true })) out.push(item);
  return out;
}

test('rows keep their text as csv-parse read it, and are named by the line they start on', async () => {
  const content = [
    'event_id,occurred_at,user_sourced_id,app_url',
    ',2026-09-01T10:00:00Z,s1,https://a.example/x',
    '',
    ',2026-09-01T10:01:00Z,s2,"https://b.example/?q=a,b"',
    ',2026-09-01T10:02:00Z,s3,"two',
    'lines"',
    '',
    '',
    ',2026-09-01T10:03:00Z,s4,https://c.example/',
  ].join('\r\n');
  const oracle = (
    parse(content, { bom: true, trim: true, skip_empty_lines: true, info: true, raw: true }) as unknown as {
      raw: string;
      info: { lines: number };
    }[]
  ).slice(1);
  const got = await items(content);
  expect(got.map((i) => ('record' in i ? i.text : i.error))).toEqual(oracle.map((o) => o.raw.replace(/[\r\n]+$/, '')));
  // The line a row is reported on is the line it starts on (the two-line row starts on line 5).
  expect(got.map((i) => i.line)).toEqual([2, 4, 5, 9]);
});

test('a stray quote rejects its own line only; the rows after it are read', async () => {
  const content = [
    'event_id,occurred_at,user_sourced_id',
    'e1,2026-09-01T10:00:00Z,s1',
    'e2,"2026-09-01T10:00:00Z,s2',
    'e3,2026-09-01T10:00:00Z,s3',
    'e4,2026-09-01T10:00:00Z,s4',
  ].join('\n');
  const got = await items(content + '\n');
  expect(got.map((i) => ('record' in i ? `${i.line} ${i.record['event_id']}` : `${i.line} error`))).toEqual([
    '2 e1',
    '3 error',
    '4 e3',
    '5 e4',
  ]);
  const error = got[1]!;
  expect(error.text).toBe(readFileSync(path.join(dir, 'events.csv'), 'utf8').split('\n')[2]);
});

test('a row with another number of cells than the header is an error naming its line', async () => {
  const got = await items('a,b,c\n1,2,3\n1,2\n1,2,3,4\n');
  expect(got.map((i) => ('error' in i ? i.error : 'ok'))).toEqual([
    'ok',
    'line 3: 2 fields, but the header has 3',
    'line 4: 4 fields, but the header has 3',
  ]);
});

test('a quote followed by text in a trimmed cell rejects its line only (csv-parse dropped the rest of its chunk)', async () => {
  const got = await items(
    [
      'event_id,occurred_at,user_sourced_id,title',
      'e1,2026-09-01T10:00:00Z,s1,ok',
      'e3,2026-09-01T10:00:00Z,s3,"Chapter "5" review"',
      'e4,2026-09-01T10:00:00Z,s4,fine',
      'e5,2026-09-01T10:00:00Z,s5,fine',
    ].join('\n') + '\n',
  );
  expect(got.map((i) => ('record' in i ? `${i.line} ${i.record['event_id']}` : `${i.line} error`))).toEqual([
    '2 e1',
    '3 error',
    '4 e4',
    '5 e5',
  ]);
});

test('a multi-line cell with spaces around its quotes, after a line of spaces, is one record when cells are trimmed', async () => {
  const got = await items(['a,b,c', '   ', '1, "two', 'lines" ,3', '4,5,6'].join('\n') + '\n');
  expect(got.map((i) => ('record' in i ? `${i.line} ${i.record['b']}` : `${i.line} ${i.error}`))).toEqual([
    '3 two\nlines',
    '5 5',
  ]);
});

test('rows after a stray quote keep the text one parse of the whole file gave them', async () => {
  const content = [
    'event_id,occurred_at,user_sourced_id,app_url',
    ',2026-09-01T10:00:00Z,s1,a',
    ',2026-09-01T10:01:00Z,s2,"oops',
    ',2026-09-01T10:02:00Z,s3,b',
    ',2026-09-01T10:03:00Z,s4,"https://c.example/x",',
    ',2026-09-01T10:04:00Z,s5,d',
    ',2026-09-01T10:05:00Z,s6,"two',
    'lines"',
    ',2026-09-01T10:06:00Z,s7,e',
  ].join('\r\n');
  // The previous reader: one parse, a malformed record skipped, the rows after it counted on.
  const oracle = parse(content, {
    bom: true,
    trim: true,
    skip_empty_lines: true,
    info: true,
    raw: true,
    skip_records_with_error: true,
  }) as unknown as { record: string[]; raw: string; info: { lines: number } }[];
  const before = new Map(oracle.map((o) => [o.record[2], o.raw.replace(/[\r\n]+$/, '')]));
  const got = await items(content);
  for (const user of ['s5', 's6', 's7']) {
    const row = got.find((i) => 'record' in i && i.record['user_sourced_id'] === user);
    expect(row && 'record' in row ? [user, row.text] : user).toEqual([user, before.get(user)!]);
  }
  // The rows the old parse lost inside the stray quote are read now, each on its own line (line 5 has a
  // cell too many: an error of its own).
  expect(got.map((i) => ('record' in i ? i.line : `${i.line} error`))).toEqual([2, '3 error', 4, '5 error', 6, 7, 9]);
});
