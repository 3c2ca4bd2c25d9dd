/**
 * docs/DATA_DICTIONARY.md against the real research database (created by the research migrations on
 * the suite's own database): the same tables, and for each the same columns with the same types in
 * the same order, every column with a meaning. Fails when a table or column is added, removed,
 * renamed or retyped on one side only.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createClickHouse, queryRows, sqlString } from '@edusage/clickhouse';
import { createTestEnv, repoRoot, type TestEnv } from '@edusage/testkit';
import { ensureResearchSchema, RESEARCH_TABLES } from '../src';

jest.setTimeout(120_000);

type Columns = Record<string, [string, string][]>;

/** Tables of the dictionary: each "### name" under "## Tables" with its | column | type | meaning | rows. */
function documented(): { columns: Columns; meanings: Record<string, string[]> } {
  const text = readFileSync(path.join(repoRoot(), 'docs', 'DATA_DICTIONARY.md'), 'utf8');
  const section = text.split(/^## Tables$/m)[1]!.split(/^## /m)[0]!;
  const columns: Columns = {};
  const meanings: Record<string, string[]> = {};
  for (const block of section.split(/^### /m).slice(1)) {
    const name = block.split('\n')[0]!.trim();
    const rows = block
      .split('\n')
      .filter((l) => l.startsWith('|'))
      .map((l) =>
        l
          .slice(1, -1)
          .split('|')
          .map((c) => c.trim()),
      )
      .filter((cells) => cells[0] !== 'column' && !/^-+$/.test(cells[0]!));
    columns[name] = rows.map((r) => [r[0]!, r[1]!]);
    meanings[name] = rows.map((r) => r[2] ?? '');
  }
  return { columns, meanings };
}

describe('docs/DATA_DICTIONARY.md', () => {
  let env: TestEnv;
  let actual: Columns;

  beforeAll(async () => {
    env = await createTestEnv('research_dictionary', { kafka: false });
    const db = `${env.config.CLICKHOUSE_DATABASE}_research`;
    await ensureResearchSchema(env.config, db);
    const ch = createClickHouse(env.config);
    try {
      const rows = await queryRows<{ table: string; name: string; type: string }>(
        ch,
        `SELECT table, name, type FROM system.columns WHERE database = ${sqlString(db)}`,
      );
      actual = {};
      for (const r of rows) (actual[r.table] ??= []).push([r.name, r.type]);
    } finally {
      await ch.close();
    }
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('lists exactly the tables of the research database', () => {
    expect(Object.keys(documented().columns).sort()).toEqual(Object.keys(actual).sort());
    for (const t of RESEARCH_TABLES) expect(Object.keys(actual)).toContain(t);
  });

  it('gives every table its columns and types in order, each with a meaning', () => {
    const doc = documented();
    for (const table of Object.keys(actual)) {
      expect({ table, columns: doc.columns[table] }).toEqual({ table, columns: actual[table] });
      for (const meaning of doc.meanings[table] ?? []) expect(meaning).not.toBe('');
    }
  });
});
