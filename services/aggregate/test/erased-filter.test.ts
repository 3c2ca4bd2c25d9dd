/**
 * The condition the usage_events INSERT keeps rows by (handlers.ts NOT_ERASED: no event of a person erased
 * at their district's request), on ClickHouse 18.16 and on a current engine. The sink's own INSERT with
 * it is exercised on the real pipeline by packages/demo/test/e2e-erase.test.ts.
 */
import { insertRows, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { onCurrentClickHouse, onTestClickHouse } from '@edusage/testkit';
import { NOT_ERASED } from '../src/handlers';
import { usageEventRow, toClickHouseDateTime } from '../src/rows';
import { makeEnrichedEvents } from './enriched-fixtures';

async function scenario(ch: ClickHouseClient): Promise<void> {
  const events = makeEnrichedEvents(60, 5, 0);
  const storedAt = toClickHouseDateTime(new Date());
  const [gone, stays] = [...new Set(events.map((e) => e.person_id))];
  await insertRows(
    ch,
    'usage_events',
    events.map((e, i) => usageEventRow(e, { topic: 't', partition: 0, offset: String(i) }, storedAt)),
  );
  const kept = async () =>
    (await queryRows<{ person_id: string }>(ch, `SELECT person_id FROM usage_events WHERE ${NOT_ERASED}`)).map(
      (r) => r.person_id,
    );
  expect(await kept()).toHaveLength(60); // nobody erased: every row
  await insertRows(ch, 'person_erasures', [
    {
      district_id: 'd1',
      request_id: 'r1',
      person_ids: [gone!, 'other'],
      requested_at: storedAt,
      finished: 0,
      erased_events: 0,
      erased_results: 0,
    },
    // The same pseudonym in another district erases nobody here.
    {
      district_id: 'd2',
      request_id: 'r2',
      person_ids: [stays!],
      requested_at: storedAt,
      finished: 0,
      erased_events: 0,
      erased_results: 0,
    },
  ]);
  const left = await kept();
  expect(left).toHaveLength(events.filter((e) => e.person_id !== gone).length);
  expect(left).not.toContain(gone);
  expect(left).toContain(stays);
}

describe('the erased-people condition of the usage_events INSERT', () => {
  it('works on ClickHouse 18.16', async () => {
    await onTestClickHouse('erased_filter', scenario);
  });
  it('works on current ClickHouse', async () => {
    await onCurrentClickHouse('edusage_erased_filter', scenario);
  });
});
