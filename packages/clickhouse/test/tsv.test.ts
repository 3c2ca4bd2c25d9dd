import { baseConfigSchema, loadConfig } from '@edusage/config';
import {
  command,
  createClickHouse,
  dropDatabase,
  ensureDatabase,
  insertTsv,
  queryRows,
  tsvField,
  tsvLine,
  TsvValueError,
} from '../src';

// Every character ClickHouse's TabSeparated reader treats specially, alone, doubled and beside text.
const AWKWARD = [
  '',
  'plain',
  'tab\there',
  'new\nline',
  'carriage\rreturn',
  'back\\slash',
  '\\N',
  '\\t is not a tab',
  'nul\0byte',
  'bell\b and feed\f',
  'quote \' and "double"',
  '\t\n\\\r\0',
  'ends with a backslash\\',
  'ünïcødé — 日本語 😀',
  ' leading and trailing blanks ',
];

describe('TabSeparated fields', () => {
  it('leaves plain text as it is and escapes each special character', () => {
    expect(tsvField('docs.google.com', 'c')).toBe('docs.google.com');
    expect(tsvField('a\tb\nc\\d\re\0f\bg\fh', 'c')).toBe('a\\tb\\nc\\\\d\\re\\0f\\bg\\fh');
    expect(tsvField(42, 'c')).toBe('42');
    expect(tsvField(-7, 'c')).toBe('-7');
    expect(tsvField(2n ** 64n - 1n, 'c')).toBe('18446744073709551615');
  });

  it('refuses values it cannot write, naming the column', () => {
    expect(() => tsvField(undefined, 'app_id')).toThrow(/column app_id: .*undefined/);
    expect(() => tsvField(null, 'app_id')).toThrow(/column app_id: .*null/);
    expect(() => tsvField(Number.NaN, 'seconds')).toThrow(/column seconds: not an integer/);
    expect(() => tsvField(1e21, 'seconds')).toThrow(/column seconds/);
    expect(() => tsvField(1e-7, 'seconds')).toThrow(/column seconds/);
    expect(() => tsvField(0.5, 'seconds')).toThrow(TsvValueError);
    expect(() => tsvField({}, 'x')).toThrow(/column x: .*object/);
    expect(() => tsvLine({ a: 'x' }, ['a', 'b'])).toThrow(/column b/);
  });

  it('writes the named columns in their order, one line a row', () => {
    expect(tsvLine({ b: 2, a: 'x', ignored: 'y' }, ['a', 'b'])).toBe('x\t2\n');
  });
});

// Real ClickHouse (the local stack): what matters is that the server reads back exactly what was sent.
describe('insertTsv against real ClickHouse', () => {
  const config = loadConfig(baseConfigSchema, {
    ...process.env,
    CLICKHOUSE_DATABASE: `t_tsv_${process.pid}_${Date.now()}`,
  });
  const ch = createClickHouse(config);

  beforeAll(async () => {
    await ensureDatabase(config);
    await command(
      ch,
      `CREATE TABLE awkward (i UInt32, text String, big UInt64, day Date, at DateTime('UTC'),
         kind Enum8('none' = 0, 'explicit' = 1)) ENGINE = MergeTree ORDER BY i`,
    );
  });
  afterAll(async () => {
    await ch.close();
    await dropDatabase(config);
  });

  it('stores every awkward string, 64-bit integer, date and enum exactly as given', async () => {
    const rows = AWKWARD.map((text, i) => ({
      i,
      text,
      big: i % 2 === 0 ? '18446744073709551615' : String(i),
      day: '2026-09-0' + ((i % 9) + 1),
      at: '2026-09-01 08:0' + (i % 10) + ':00',
      kind: i % 2 === 0 ? 'none' : 'explicit',
    }));
    // Columns named in another order than the table's: the INSERT names them.
    await insertTsv(ch, 'awkward', ['text', 'i', 'kind', 'at', 'day', 'big'], rows);
    const back = await queryRows<Record<string, unknown>>(
      ch,
      `SELECT i, text, toString(big) AS big, toString(day) AS day, toString(at) AS at, toString(kind) AS kind
       FROM awkward ORDER BY i`,
    );
    expect(back).toEqual(rows);
  });
});
