import type { ClickHouseClient } from '@edusage/clickhouse';
import { claimEvents } from '../src/dedup';
import { PartitionRefused } from '../src/errors';

// Pure logic: claims come from validated events, so a malformed one is a bug in the sink. It is
// refused before any request (the client here only records calls) and names the field, instead of
// failing in the lookup SQL or the TabSeparated claims, which the batch would retry for ever.
const good = { key: '0123456789abcdef0123456789abcdef', localDate: '2026-10-01', offset: '41' };
const next = { ...good, offset: '42' };

test.each([
  [{ ...next, key: 'not-hex' }, /dedup_key is not 32 hex characters/],
  [{ ...next, localDate: undefined as unknown as string }, /local_date is not a storable day/],
  [{ ...next, localDate: '2026-02-30' }, /local_date is not a storable day: "2026-02-30"/],
  [{ ...next, offset: '4.5' }, /offset is not a Kafka offset/],
])('a malformed claim refuses the partition before anything is sent (%o)', async (bad, message) => {
  const calls = jest.fn();
  const ch = { query: calls, exec: calls, insert: calls, command: calls } as unknown as ClickHouseClient;
  const attempt = claimEvents(ch, 'usage.enriched', 3, [good, bad]);
  await expect(attempt).rejects.toThrow(PartitionRefused);
  await expect(attempt).rejects.toThrow(message);
  await expect(attempt).rejects.toThrow(/usage\.enriched\/3/);
  expect(calls).not.toHaveBeenCalled();
});
