/**
 * The jobs service's SQL on a current ClickHouse engine (chdb, docs/CLICKHOUSE_SQL.md): migration 0201,
 * the snapshot's latest-run view and the alerts' stored-id check with FINAL. The rest of the suite
 * runs on 18.16.
 */
import { queryRows, runMigrations } from '@edusage/clickhouse';
import { migrationsDir, startCurrentClickHouse, type CurrentClickHouse } from '@edusage/testkit';
import { checkRenewals, snapshotDistrict } from '../src';
import { seedActivity, seedLicenses } from './harness';

jest.setTimeout(90_000);

let current: CurrentClickHouse;
beforeAll(async () => {
  current = await startCurrentClickHouse('edusage_jobs_current');
  await runMigrations(current.client, migrationsDir());
});
afterAll(async () => {
  await current?.close();
});

test('snapshot re-runs replace the day; alerts are stored once', async () => {
  const ch = current.client;
  await seedLicenses(ch, 'd1', [
    'L-a,ixl,IXL,d1,10,1000,flat,USD,2026-07-01,2026-12-10',
    'L-b,kami,Kami,d1,4,1000,flat,USD,2026-07-01,2027-06-30',
  ]);
  await seedActivity(ch, { districtId: 'd1', schoolId: 's1', day: '2026-11-10', appId: 'ixl', people: ['p1', 'p2'] });
  await seedActivity(ch, {
    districtId: 'd1',
    schoolId: 's1',
    day: '2026-11-10',
    appId: 'kami',
    people: ['p1', 'p2', 'p3'],
  });

  expect(await snapshotDistrict(ch, 'd1', '2026-11-19', 30, 1_000)).toBe(2);
  expect(await snapshotDistrict(ch, 'd1', '2026-11-19', 30, 2_000)).toBe(2);
  const rows = await queryRows<{ license_id: string; utilization: number; computed_ms: string }>(
    ch,
    `SELECT license_id, utilization, toString(computed_ms) AS computed_ms FROM license_utilization_snapshots_latest
     WHERE district_id = 'd1' AND day = '2026-11-19' ORDER BY license_id`,
  );
  expect(rows).toEqual([
    { license_id: 'L-a', utilization: 0.2, computed_ms: '2000' },
    { license_id: 'L-b', utilization: 0.75, computed_ms: '2000' },
  ]);

  const rule = { thresholds: [30, 60, 90], usedShareBelow: 0.5 };
  const first = await checkRenewals(ch, 'd1', '2026-11-20', 30, rule);
  const again = await checkRenewals(ch, 'd1', '2026-11-20', 30, rule);
  expect(first.created.map((a) => [a.license_id, a.threshold_days])).toEqual([['L-a', 30]]);
  expect(again.created).toEqual([]);
  expect(again.due.map((a) => a.alert_id)).toEqual(first.created.map((a) => a.alert_id));
  const stored = await queryRows<{ n: string | number }>(ch, 'SELECT count() AS n FROM license_renewal_alerts FINAL');
  expect(Number(stored[0]!.n)).toBe(1);
});
