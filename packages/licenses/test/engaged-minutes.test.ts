/**
 * Engaged time over a window longer than one query chunk (activeMinutes sums distinct person-minutes
 * per ≤ 31-day chunk): the same person-minute in two rollup rows of one day counts once, minutes in
 * different chunks all count, minutes outside the window or the term do not. Expectations by hand.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { command, createClickHouse, type ClickHouseClient } from '@edusage/clickhouse';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { importLicenses, licenseCounts } from '../src';

jest.setTimeout(120_000);

let env: TestEnv;
let ch: ClickHouseClient;
let range = 0;

/** One school-rollup row: `minutes` ('YYYY-MM-DD hh:mm:ss' UTC) of person `p` with app ixl, plus explicit seconds. */
async function row(schoolId: string, day: string, p: string, minutes: string[], seconds = 0): Promise<void> {
  range += 1;
  await command(
    ch,
    `INSERT INTO rollup_school_app_daily_parts (district_id, school_id, local_date, app_id, role, kafka_topic, kafka_partition,
       range_start, range_end, events, active_users, explicit_seconds, active_minutes, unresolved_person_events, unresolved_app_events)
     SELECT 'd1', '${schoolId}', toDate('${day}'), 'ixl', 'student', 't', 0, ${range}, ${range + 1},
            sumState(toUInt64(1)), uniqExactState('${p}'), sumState(toUInt64(${seconds})),
            uniqExactIfState('${p}', m, toUInt8(1)), sumState(toUInt64(0)), sumState(toUInt64(0))
     FROM (SELECT arrayJoin([${minutes.map((m) => `toDateTime('${m}', 'UTC')`).join(',')}]) AS m)`,
  );
}

beforeAll(async () => {
  env = await createTestEnv('licenses_minutes', { kafka: false });
  ch = createClickHouse(env.config);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-minutes-'));
  const file = path.join(dir, 'licenses.csv');
  writeFileSync(
    file,
    'licenseId,appId,orgSourcedId,seatsPurchased,contractCost,currency,contractStartDate,contractEndDate\n' +
      'L,ixl,d1,10,100,USD,2026-09-01,2026-11-30\n',
  );
  await importLicenses(ch, 'd1', file);
  rmSync(dir, { recursive: true, force: true });
  // 2026-09-01: p1 at two schools in the same minute 14:00 (counts once) and at 14:01 → 2 minutes.
  await row('s1', '2026-09-01', 'p1', ['2026-09-01 14:00:00', '2026-09-01 14:01:00']);
  await row('s2', '2026-09-01', 'p1', ['2026-09-01 14:00:00'], 120);
  // The last day of the first chunk (2026-09-01 … 2026-10-01) and the first of the second: 1 minute each.
  await row('s1', '2026-10-01', 'p1', ['2026-10-01 14:00:00']);
  await row('s1', '2026-10-02', 'p1', ['2026-10-02 14:00:00']);
  // 2026-10-15 (second chunk of a window from 2026-09-01): p1 14:00 and p2 14:00 → 2 minutes.
  await row('s1', '2026-10-15', 'p1', ['2026-10-15 14:00:00']);
  await row('s1', '2026-10-15', 'p2', ['2026-10-15 14:00:00'], 30);
  // 2026-12-02: after the term (ends 2026-11-30): never counts for L.
  await row('s1', '2026-12-02', 'p1', ['2026-12-02 14:00:00']);
});
afterAll(async () => {
  await ch?.close();
  await env?.cleanup();
});

test('distinct person-minutes over several chunks: 6 minutes and 150 explicit seconds', async () => {
  const w = { districtId: 'd1', from: '2026-09-01', to: '2026-12-31' }; // 4 chunks of ≤ 31 days
  const c = (await licenseCounts(ch, w)).get('L');
  expect(c).toMatchObject({ active: 2, engaged_seconds: 150 + 60 * 6 });
  // From 2026-10-02: that day's minute and 2026-10-15's two.
  const late = (await licenseCounts(ch, { ...w, from: '2026-10-02' })).get('L');
  expect(late).toMatchObject({ active: 2, engaged_seconds: 30 + 60 * 3 });
});
