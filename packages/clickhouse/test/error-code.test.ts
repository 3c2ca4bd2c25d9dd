import { parseError } from '@clickhouse/client';
import { clickhouseErrorCode, createClickHouse, queryRows } from '../src';

const config = {
  CLICKHOUSE_URL: process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123',
  CLICKHOUSE_USER: process.env.CLICKHOUSE_USER ?? 'default',
  CLICKHOUSE_PASSWORD: process.env.CLICKHOUSE_PASSWORD ?? '',
  CLICKHOUSE_DATABASE: 'default',
};

const failureOf = (attempt: Promise<unknown>) =>
  attempt.then(
    () => {
      throw new Error('expected the query to fail');
    },
    (err: unknown) => err,
  );

// The sink tells data errors and schema drift from transient failures by ClickHouse's error code,
// which @clickhouse/client parses only from a current server's messages.
describe('clickhouseErrorCode', () => {
  it('reads the code of exceptions the real server (ClickHouse 18.16 here) answers with', async () => {
    const ch = createClickHouse(config);
    try {
      const notADay = await failureOf(queryRows(ch, "SELECT toDate('not a day') AS d"));
      // What this helper is for: the client leaves 18.16's code unset (a current server's it sets).
      expect((notADay as { code?: unknown }).code).toBeUndefined();
      expect(clickhouseErrorCode(notADay)).toBe('38');
      expect(clickhouseErrorCode(await failureOf(queryRows(ch, 'SELECT no_such_column FROM system.one')))).toBe('47');
    } finally {
      await ch.close();
    }
  });

  it('has no code for a server that does not answer', async () => {
    const ch = createClickHouse({ ...config, CLICKHOUSE_URL: 'http://127.0.0.1:1' });
    try {
      const err = await failureOf(queryRows(ch, 'SELECT 1'));
      expect(clickhouseErrorCode(err)).toBeUndefined();
    } finally {
      await ch.close();
    }
  });

  it("takes the client's code for a current server's message, and none from other errors", () => {
    // A current server's message as the client parses it from the response body.
    const current = parseError(
      "Code: 27. DB::Exception: Cannot parse input: expected '\\t' before: 'x': (at row 1)\n: While executing " +
        'ParallelParsingBlockInputFormat. (CANNOT_PARSE_INPUT_ASSERTION_FAILED) (version 25.8.1.1 (official build))\n',
    );
    expect((current as { code?: unknown }).code).toBe('27');
    expect(clickhouseErrorCode(current)).toBe('27');
    // A Kafka protocol error (numeric code) or a socket error (a name for a code) is not ClickHouse's.
    expect(clickhouseErrorCode(Object.assign(new Error('Code: 27, but from Kafka'), { code: 27 }))).toBeUndefined();
    expect(
      clickhouseErrorCode(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBeUndefined();
    expect(clickhouseErrorCode('Code: 38, e.displayText() = …')).toBeUndefined();
    expect(clickhouseErrorCode(null)).toBeUndefined();
  });
});
