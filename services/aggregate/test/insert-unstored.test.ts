import { TsvValueError, type ClickHouseClient } from '@edusage/clickhouse';
import { isClickHouseDataError } from '../src/errors';
import { insertUnstored } from '../src/insert-unstored';

// Pure logic: a row TabSeparated cannot carry is refused before any request is made (the client here
// only records calls), and the sink classifies that as the rows' fault (stored one by one, the
// culprit dead-lettered) rather than retrying the batch for ever.
test('a value TabSeparated cannot carry is refused before anything is sent, as a data error', async () => {
  const exec = jest.fn();
  const ch = { exec } as unknown as ClickHouseClient;
  const rows = [
    { kafka_offset: '7', app_id: 'docs', explicit_seconds: 30 },
    { kafka_offset: '8', app_id: 'docs', explicit_seconds: 0.5 },
  ];
  const attempt = insertUnstored(
    ch,
    'usage_events',
    { kafka_offset: 'UInt64', app_id: 'String', explicit_seconds: 'UInt32' },
    [{ topic: 't', partition: 0, rows }],
    'q',
  );
  await expect(attempt).rejects.toThrow(TsvValueError);
  await expect(attempt).rejects.toThrow(/column explicit_seconds/);
  expect(exec).not.toHaveBeenCalled();
  expect(isClickHouseDataError(await attempt.catch((e: unknown) => e))).toBe(true);
});
