/**
 * Run rows written before migration 0010 (no users_state, no has_state on disk) are never read as a set
 * of people: after the migration they read as has_state 0 with an empty state, and runStatePeople
 * leaves their cells out (the reader then merges their month rows), while runCounts still has them.
 * Since 0011 the reader's runs table is a new one made with both columns; the guard stays, and this
 * replays 0009 and 0010 on that table's name.
 */
import { migrationStatements, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { RUNS_TABLE, runCounts, runStatePeople } from '@edusage/rollups';
import { onCurrentClickHouse, onTestClickHouse } from '@edusage/testkit';

/** The runs table of migrations 0009 and 0010 (the first set, before 0011). */
const FIRST_RUNS_TABLE = 'rollup_app_month_runs';

/** A run row written by the 0009 table, then the 0010 ALTERs: stateless for runStatePeople, counted for runCounts. */
async function upgradedRunRow(ch: ClickHouseClient): Promise<void> {
  // The runs table as migration 0009 made it, with a row written then.
  const create = migrationStatements('0009_rollup_months.sql')
    .find((s) => s.includes(`TABLE IF NOT EXISTS ${FIRST_RUNS_TABLE} `))
    ?.replace(FIRST_RUNS_TABLE, RUNS_TABLE);
  expect(create).toBeDefined();
  await ch.command({ query: `DROP TABLE ${RUNS_TABLE}` });
  await ch.command({ query: create! });
  await ch.command({
    query: `INSERT INTO ${RUNS_TABLE} (month, generation, level, district_id, school_id, app_id, first_month,
              last_month, generations, first_day, last_day, active_users)
            VALUES (202610, 7, 'district', 'd1', '', 'app-1', 202609, 202610, [6, 7], '2026-09-01', '2026-10-31', 42)`,
  });
  for (const alter of migrationStatements('0010_rollup_run_states.sql')) {
    await ch.command({ query: alter.replace(`TABLE ${FIRST_RUNS_TABLE} `, `TABLE ${RUNS_TABLE} `) });
  }

  const usable = `district_id = 'd1' AND level = 'district' AND first_month = 202609 AND last_month = 202610`;
  const [row] = await queryRows<{ has_state: number; people: string }>(
    ch,
    `SELECT has_state, toString(finalizeAggregation(users_state)) AS people FROM ${RUNS_TABLE} WHERE ${usable}`,
  );
  expect(row).toEqual({ has_state: 0, people: '0' });
  expect(await runStatePeople(ch, 'district', usable, [], undefined)).toEqual(new Map());
  expect(await runCounts(ch, 'district', usable)).toEqual(new Map([[JSON.stringify(['app-1']), 42]]));
}

test('run rows from before migration 0010 read as stateless, on ClickHouse 18.16', async () => {
  await onTestClickHouse('run-states-upgrade', upgradedRunRow);
});

test('the same on current ClickHouse', async () => {
  await onCurrentClickHouse('edusage_run_states_upgrade', upgradedRunRow);
});
