import { createServer, type AddressInfo, type Socket } from 'node:net';
import { command, createClickHouse, type ClickHouseClient } from '@edusage/clickhouse';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { PartitionRefused } from '../src/errors';
import { checkSinkSchema, refuseIfDrifted, sinkSchemaProblems } from '../src/schema-check';

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

  it('abandons the check when the worker stops, also while ClickHouse hangs', async () => {
    const stopped = new AbortController();
    stopped.abort();
    const early = await refuseIfDrifted(ch, 'a test', stopped.signal).then(
      () => null,
      (e: unknown) => e,
    );
    expect(early).not.toBeNull();
    expect(early).not.toBeInstanceOf(PartitionRefused);
    expect(String(early)).toMatch(/abort/i);

    // A server that takes the request and never answers: only the stop ends the check.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const hanging = createClickHouse({
      ...env.config,
      CLICKHOUSE_URL: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
    });
    try {
      const stopping = new AbortController();
      const check = refuseIfDrifted(hanging, 'a test', stopping.signal).then(
        () => null,
        (e: unknown) => e,
      );
      setTimeout(() => stopping.abort(), 200);
      const started = Date.now();
      const err = await check;
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(String(err)).toMatch(/abort/i);
    } finally {
      await hanging.close();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
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
