import { sqlDate, sqlIdentifier, sqlList, sqlNumber, sqlString } from '../src/escape';
import { splitStatements } from '../src/migrations';

describe('sqlString', () => {
  it('escapes quotes, backslashes and control characters', () => {
    expect(sqlString("O'Brien")).toBe("'O\\'Brien'");
    expect(sqlString('a\\b')).toBe("'a\\\\b'");
    expect(sqlString('x\ny\tz\0')).toBe("'x\\ny\\tz\\0'");
  });
  it('cannot be broken out of by an injection attempt', () => {
    const literal = sqlString("x' OR 1=1 --");
    // The only unescaped quotes are the delimiters.
    expect(literal.replace(/\\'/g, '').match(/'/g)).toHaveLength(2);
  });
});

describe('sqlIdentifier', () => {
  it('accepts plain identifiers and quotes them', () => {
    expect(sqlIdentifier('usage_events')).toBe('`usage_events`');
  });
  it.each(['a-b', 'a b', '1abc', 'x`y', ''])('refuses %p', (name) => {
    expect(() => sqlIdentifier(name)).toThrow(/identifier/);
  });
});

describe('other literals', () => {
  it('renders numbers and refuses non-finite ones', () => {
    expect(sqlNumber(42)).toBe('42');
    expect(sqlNumber(2n ** 63n)).toBe('9223372036854775808');
    expect(() => sqlNumber(Number.NaN)).toThrow();
  });
  it('renders dates and refuses impossible ones', () => {
    expect(sqlDate('2026-09-14')).toBe("toDate('2026-09-14')");
    expect(() => sqlDate('2026-02-30')).toThrow();
    expect(() => sqlDate("2026-09-14'")).toThrow();
  });
  it('renders IN lists and refuses empty ones', () => {
    expect(sqlList(['a', "b'"], sqlString)).toBe("('a', 'b\\'')");
    expect(() => sqlList([], sqlString)).toThrow();
  });
});

describe('splitStatements', () => {
  it('splits on semicolons at line ends and drops comment lines', () => {
    const sql = '-- a comment; with semicolon\nCREATE TABLE a (x String);\n\nCREATE TABLE b (y String)\n;\n';
    expect(splitStatements(sql)).toEqual(['CREATE TABLE a (x String)', 'CREATE TABLE b (y String)']);
  });
});
