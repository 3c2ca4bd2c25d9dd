import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { baseConfigSchema, loadConfig } from '@edusage/config';
import {
  MigrationChangedError,
  clickhouseHealth,
  createClickHouse,
  dropDatabase,
  ensureDatabase,
  queryRows,
  runMigrations,
  sqlString,
} from '../src';

// Real ClickHouse (the local stack): the runner's guarantees are about what the server ends up with.
describe('migration runner against real ClickHouse', () => {
  const config = loadConfig(baseConfigSchema, {
    ...process.env,
    CLICKHOUSE_DATABASE: `t_migrations_${process.pid}_${Date.now()}`,
  });
  let dir: string;
  const ch = createClickHouse(config);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'migrations-'));
    await ensureDatabase(config);
  });
  afterAll(async () => {
    await ch.close();
    await dropDatabase(config);
    await rm(dir, { recursive: true, force: true });
  });

  it('applies files in name order once, records them, and skips them the next time', async () => {
    await writeFile(path.join(dir, '0002_second.sql'), 'INSERT INTO notes (n) VALUES (2);\n');
    await writeFile(
      path.join(dir, '0001_first.sql'),
      '-- a comment line; with a semicolon\nCREATE TABLE IF NOT EXISTS notes (n UInt8) ENGINE = MergeTree ORDER BY n;\nINSERT INTO notes (n) VALUES (1);\n',
    );
    await writeFile(path.join(dir, 'README.txt'), 'not a migration');
    const first = await runMigrations(ch, dir);
    expect(first).toEqual({ applied: ['0001_first.sql', '0002_second.sql'], skipped: [] });
    const again = await runMigrations(ch, dir);
    expect(again).toEqual({ applied: [], skipped: ['0001_first.sql', '0002_second.sql'] });
    const notes = await queryRows<{ n: number }>(ch, 'SELECT n FROM notes ORDER BY n');
    expect(notes.map((r) => r.n)).toEqual([1, 2]); // nothing ran twice
    const recorded = await queryRows<{ name: string }>(ch, 'SELECT name FROM schema_migrations ORDER BY name');
    expect(recorded.map((r) => r.name)).toEqual(['0001_first.sql', '0002_second.sql']);
  });

  it('refuses to continue when an applied file was changed', async () => {
    await writeFile(path.join(dir, '0002_second.sql'), 'INSERT INTO notes (n) VALUES (3);\n');
    await writeFile(path.join(dir, '0003_third.sql'), 'INSERT INTO notes (n) VALUES (4);\n');
    await expect(runMigrations(ch, dir)).rejects.toThrow(MigrationChangedError);
    await expect(runMigrations(ch, dir)).rejects.toThrow(/0002_second\.sql was changed/);
    const notes = await queryRows<{ n: number }>(ch, 'SELECT n FROM notes ORDER BY n');
    expect(notes.map((r) => r.n)).toEqual([1, 2]); // the later file did not run either
  });

  it('repeats an interrupted file that adds a column (18.16 has no ADD COLUMN IF NOT EXISTS)', async () => {
    const sub = await mkdtemp(path.join(tmpdir(), 'migrations-alter-'));
    await writeFile(
      path.join(sub, '0001_table.sql'),
      'CREATE TABLE IF NOT EXISTS wide (n UInt8) ENGINE = MergeTree ORDER BY n;\n',
    );
    await runMigrations(ch, sub);
    // A previous run added the column and died before the file was recorded: the column is there already.
    await ch.command({ query: 'ALTER TABLE wide ADD COLUMN extra UInt8' });
    await writeFile(
      path.join(sub, '0002_alter.sql'),
      "ALTER TABLE wide ADD COLUMN extra UInt8;\nALTER TABLE wide ADD COLUMN more String DEFAULT 'x';\n",
    );
    expect(await runMigrations(ch, sub)).toEqual({ applied: ['0002_alter.sql'], skipped: ['0001_table.sql'] });
    const columns = await queryRows<{ name: string }>(
      ch,
      "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'wide' ORDER BY name",
    );
    expect(columns.map((c) => c.name)).toEqual(['extra', 'more', 'n']);
    await rm(sub, { recursive: true, force: true });
  });

  it('lets services that start together migrate together: a column added meanwhile is no failure', async () => {
    const sub = await mkdtemp(path.join(tmpdir(), 'migrations-together-'));
    await writeFile(
      path.join(sub, '0101_together.sql'),
      'CREATE TABLE IF NOT EXISTS together (n UInt8) ENGINE = MergeTree ORDER BY n;\n',
    );
    const columns = Array.from({ length: 8 }, (_, i) => `c${i}`);
    await writeFile(
      path.join(sub, '0102_together_columns.sql'),
      columns.map((c) => `ALTER TABLE together ADD COLUMN ${c} UInt8;\n`).join(''),
    );
    // Several runners between one's column check and its ALTER: without the second look, one of them
    // fails with DUPLICATE_COLUMN (aggregate, jobs and api each migrate when they start).
    const runs = await Promise.allSettled(Array.from({ length: 6 }, () => runMigrations(ch, sub)));
    expect(runs.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual(
      [],
    );
    const stored = await queryRows<{ name: string }>(
      ch,
      "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'together' ORDER BY name",
    );
    expect(stored.map((c) => c.name)).toEqual([...columns, 'n']);
    await rm(sub, { recursive: true, force: true });
  });

  it('round-trips hostile strings through the escaping helper', async () => {
    const hostile = ["O'Brien", 'back\\slash', "x'); DROP TABLE notes; --", 'tab\tnew\nline', 'ünïcødé 漢字'];
    for (const value of hostile) {
      const rows = await queryRows<{ v: string }>(ch, `SELECT ${sqlString(value)} AS v`);
      expect(rows[0]?.v).toBe(value);
    }
    expect(await clickhouseHealth(ch)).toBe(true);
  });

  it('reports an unreachable server as unhealthy instead of throwing', async () => {
    const nowhere = createClickHouse({ ...config, CLICKHOUSE_URL: 'http://127.0.0.1:1' });
    expect(await clickhouseHealth(nowhere)).toBe(false);
    await nowhere.close();
  });
});
