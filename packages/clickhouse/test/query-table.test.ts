import { baseConfigSchema, loadConfig } from '@edusage/config';
import { command, createClickHouse, dropDatabase, ensureDatabase, insertRows, queryTable } from '../src';

// Real ClickHouse (the local stack): what its JSON format quotes is the server's doing.
describe('queryTable against real ClickHouse', () => {
  const config = loadConfig(baseConfigSchema, {
    ...process.env,
    CLICKHOUSE_DATABASE: `t_query_table_${process.pid}_${Date.now()}`,
  });
  const ch = createClickHouse(config);

  beforeAll(async () => {
    await ensureDatabase(config);
    // A research table's kinds of columns (infra/clickhouse/research): `events` is Nullable(UInt64).
    await command(
      ch,
      `CREATE TABLE weekly (week_start Date, app_id String, active_students Nullable(UInt32),
        events Nullable(UInt64), total UInt64, delta Int64, engaged_hours Nullable(Float64))
       ENGINE = MergeTree ORDER BY app_id`,
    );
    await insertRows(ch, 'weekly', [
      {
        week_start: '2026-09-14',
        app_id: '123',
        active_students: 12,
        events: 36,
        total: 9_007_199_254_740_991,
        delta: -5,
        engaged_hours: 6,
      },
      {
        week_start: '2026-09-14',
        app_id: 'b',
        active_students: null,
        events: null,
        total: 0,
        delta: 0,
        engaged_hours: null,
      },
    ]);
  });
  afterAll(async () => {
    await ch.close();
    await dropDatabase(config);
  });

  it('answers 64-bit integers as numbers beside the other counts, strings and nulls as they are', async () => {
    const t = await queryTable<Record<string, unknown>>(ch, 'SELECT * FROM weekly ORDER BY app_id');
    expect(t.columns).toEqual(['week_start', 'app_id', 'active_students', 'events', 'total', 'delta', 'engaged_hours']);
    expect(t.rows).toEqual([
      {
        week_start: '2026-09-14',
        app_id: '123',
        active_students: 12,
        events: 36,
        total: 9_007_199_254_740_991,
        delta: -5,
        engaged_hours: 6,
      },
      {
        week_start: '2026-09-14',
        app_id: 'b',
        active_students: null,
        events: null,
        total: 0,
        delta: 0,
        engaged_hours: null,
      },
    ]);
  });

  it('names the columns of an empty answer', async () => {
    const t = await queryTable(ch, "SELECT app_id, events FROM weekly WHERE app_id = 'none'");
    expect(t).toEqual({ columns: ['app_id', 'events'], rows: [] });
  });
});
