import { baseConfigSchema, loadConfig } from '@edusage/config';
import {
  command,
  createClickHouse,
  deleteAndWait,
  DeletionPendingError,
  dropDatabase,
  ensureDatabase,
  queryRows,
} from '../src';

// Real ClickHouse (the local stack, 18.16): mutations are what deleteAndWait waits for.
describe('deleteAndWait against real ClickHouse', () => {
  const config = loadConfig(baseConfigSchema, {
    ...process.env,
    CLICKHOUSE_DATABASE: `t_deletion_${process.pid}_${Date.now()}`,
  });
  const ch = createClickHouse(config);
  const count = async (where: string) =>
    Number((await queryRows<{ n: string }>(ch, `SELECT count() AS n FROM t WHERE ${where}`))[0]!.n);
  const unfinished = async () =>
    Number(
      (
        await queryRows<{ n: string }>(
          ch,
          `SELECT count() AS n FROM system.mutations WHERE database = currentDatabase() AND table = 't' AND is_done = 0`,
        )
      )[0]!.n,
    );

  beforeAll(async () => {
    await ensureDatabase(config);
    await command(ch, 'CREATE TABLE t (x UInt8) ENGINE = MergeTree ORDER BY x');
    await command(ch, 'INSERT INTO t (x) VALUES (1), (2), (3)');
  });
  afterAll(async () => {
    await dropDatabase(config);
    await ch.close();
  });

  it('deletes and waits until the rows are gone', async () => {
    await deleteAndWait(ch, 't', 'x = 3', () => count('x = 3'));
    expect(await count('1')).toBe(2);
  });

  it('asks for nothing when an earlier deletion already took the rows', async () => {
    await command(ch, 'ALTER TABLE t DELETE WHERE x = 4');
    await command(ch, 'INSERT INTO t (x) VALUES (5)');
    await command(ch, 'ALTER TABLE t DELETE WHERE x = 5');
    await deleteAndWait(ch, 't', 'x = 5', () => count('x = 5'));
    expect(await count('x = 5')).toBe(0);
    const asked = await queryRows<{ n: string }>(
      ch,
      `SELECT count() AS n FROM system.mutations WHERE database = currentDatabase() AND table = 't' AND command LIKE '%x = 5%'`,
    );
    expect(Number(asked[0]!.n)).toBe(1); // the earlier one only
  });

  it('does not ask again while an earlier deletion of the table is still running', async () => {
    // A mutation that can never finish (it fails on every attempt) stands for a slow one.
    await command(ch, 'ALTER TABLE t DELETE WHERE throwIf(x = 1) = 1');
    expect(await unfinished()).toBe(1);
    const waiting: number[] = [];
    const attempt = deleteAndWait(ch, 't', 'x = 2', () => count('x = 2'), {
      timeoutMs: 1_500,
      pollMs: 100,
      onWaiting: (parts) => waiting.push(parts),
    });
    await expect(attempt).rejects.toThrow(DeletionPendingError);
    await expect(attempt).rejects.toMatchObject({ asked: false, left: 1 });
    expect(waiting.length).toBeGreaterThan(0);
    // The earlier deletion only, not a second one queued behind it.
    expect(await unfinished()).toBe(1);
    expect(await count('x = 2')).toBe(1);
  });
});
