import { command, createClickHouse, type ClickHouseClient } from '@edusage/clickhouse';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { checkSinkSchema, sinkSchemaProblems } from '../src/schema-check';

// Migrations create tables only if missing, so a table that already exists with other columns would be
// written anyway; the aggregate checks the columns it writes at start and refuses, naming them.
describe('sink schema check against real ClickHouse', () => {
  let env: TestEnv;
  let ch: ClickHouseClient;
  beforeAll(async () => {
    env = await createTestEnv('schema_check');
    ch = createClickHouse(env.config);
  });
  afterAll(async () => {
    await ch?.close();
    await env?.cleanup();
  });

  it('accepts the migrated schema', async () => {
    expect(await sinkSchemaProblems(ch)).toEqual([]);
    await expect(checkSinkSchema(ch)).resolves.toBeUndefined();
  });

  it('names every drifted column and a missing table', async () => {
    await command(ch, 'ALTER TABLE usage_events DROP COLUMN campus');
    await command(ch, 'ALTER TABLE dead_letters MODIFY COLUMN reason_line String');
    await command(ch, 'ALTER TABLE event_claims MODIFY COLUMN owner_offset String');
    await command(ch, 'DROP TABLE rollup_watermarks');
    expect(await sinkSchemaProblems(ch)).toEqual([
      "usage_events.campus is missing (expected Enum8('unknown' = 0, 'on' = 1, 'off' = 2))",
      'dead_letters.reason_line is String, expected UInt32',
      'event_claims.owner_offset is String, expected UInt64',
      'table rollup_watermarks is missing',
    ]);
    await expect(checkSinkSchema(ch)).rejects.toThrow(/usage_events\.campus is missing/);
  });
});
