/**
 * The CSV rows of an event file, read through @edusage/csv. A row without an event_id gets an id
 * hashed from its line and text (csvRecordToEvent), so those two must stay what csv-parse gave before
 * the shared reader, or a file imported again after an upgrade would count its rows twice. The
 * oracle is csv-parse itself, read the way the previous reader read it.
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

test('rows keep the line and text their fallback ids were hashed from', async () => {
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
  expect(got.map((i) => ('record' in i ? [i.idLine, i.text] : i.error))).toEqual(
    oracle.map((o) => [o.info.lines, o.raw.replace(/[\r\n]+$/, '')]),
  );
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
