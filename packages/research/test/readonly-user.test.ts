/**
 * The read-only researcher user, on a private ClickHouse started with the local stack's own users
 * files (infra/local/clickhouse-users.d/research.xml, as the stack and docker-compose use it): it can
 * SELECT the research tables, and is refused other databases, INSERT, DDL, SET (and settings in the
 * URL) and table functions. What `system` still shows it is checked here as documented in
 * docs/DATA_DICTIONARY.md "Access".
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { createClickHouse, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import {
  createTestEnv,
  repoRoot,
  startPrivateClickHouse,
  type PrivateClickHouse,
  type TestEnv,
  waitFor,
} from '@edusage/testkit';
import { ensureResearchSchema, exportResearch, refreshWeek } from '../src';
import { storeDistrict, WEEK } from './fixtures';

jest.setTimeout(240_000);

const RESEARCH_DB = 'edusage_research';

describe('read-only researcher user', () => {
  let server: PrivateClickHouse;
  let env: TestEnv;
  let admin: ClickHouseClient;

  /** Runs `query` as the researcher over HTTP; resolves to the body and whether it succeeded. */
  async function asResearcher(query: string, params = ''): Promise<{ ok: boolean; body: string }> {
    const auth = Buffer.from(`researcher:${server.researchPassword}`).toString('base64');
    const res = await fetch(`${server.url}/?${params}`, {
      method: 'POST',
      headers: { authorization: `Basic ${auth}` },
      body: query,
    });
    return { ok: res.ok, body: (await res.text()).trim() };
  }

  beforeAll(async () => {
    server = await startPrivateClickHouse();
    env = await createTestEnv('research_readonly', { kafka: false, clickhouseUrl: server.url });
    await ensureResearchSchema(env.config, RESEARCH_DB);
    admin = createClickHouse(env.config);
    await storeDistrict(admin);
    await refreshWeek(admin, RESEARCH_DB, WEEK, 10);
  });
  afterAll(async () => {
    await admin?.close();
    await env?.cleanup();
    await server?.cleanup();
  });

  it('selects from the research tables', async () => {
    const r = await asResearcher(
      `SELECT app_id, active_students FROM ${RESEARCH_DB}.weekly_app_usage_district ORDER BY app_id FORMAT TSV`,
    );
    expect(r).toEqual({ ok: true, body: 'app-a\t31\napp-b\t\\N' });
    // The client the export uses works as the researcher too.
    const ch = createClickHouse({
      CLICKHOUSE_URL: server.url,
      CLICKHOUSE_USER: 'researcher',
      CLICKHOUSE_PASSWORD: server.researchPassword,
      CLICKHOUSE_DATABASE: RESEARCH_DB,
    });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-researcher-'));
    try {
      const rows = await queryRows<{ n: string }>(ch, 'SELECT count() AS n FROM weekly_license_utilization');
      expect(Number(rows[0]!.n)).toBe(3);
      // So does the export (it sends no setting a read-only user may not change).
      const file = path.join(dir, 'licenses.csv');
      const r = await exportResearch(ch, { table: 'weekly_license_utilization' }, 'csv', file);
      expect(r.rows).toBe(3);
      expect(readFileSync(file, 'utf8').split('\n')[0]).toMatch(/^week_start,district_id,license_id,/);
      // And a SELECT of its own: the researcher's session is read-only (18.16's system.settings).
      const report = path.join(dir, 'report.csv');
      const q = await exportResearch(
        ch,
        { query: 'SELECT app_id FROM weekly_app_usage_district ORDER BY app_id' },
        'csv',
        report,
      );
      expect(q.rows).toBe(2);
      expect(readFileSync(report, 'utf8')).toBe('app_id\napp-a\napp-b\n');
    } finally {
      await ch.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is refused a wrong password', async () => {
    const auth = Buffer.from('researcher:not-the-password').toString('base64');
    const res = await fetch(`${server.url}/?query=SELECT%201`, { headers: { authorization: `Basic ${auth}` } });
    expect(res.ok).toBe(false);
    expect(await res.text()).toMatch(/Wrong password/);
  });

  it('is refused every other database', async () => {
    const main = env.config.CLICKHOUSE_DATABASE;
    for (const q of [`SELECT count() FROM ${main}.usage_events`, 'SELECT * FROM default.nothing']) {
      const r = await asResearcher(q);
      expect(r.ok).toBe(false);
      expect(r.body).toMatch(/Access denied to database/);
    }
    const viaParam = await asResearcher('SELECT count() FROM usage_events', `database=${main}`);
    expect(viaParam.ok).toBe(false);
  });

  it('is refused INSERT, DDL, SET and table functions', async () => {
    const refused: [string, RegExp][] = [
      [`INSERT INTO ${RESEARCH_DB}.weekly_app_usage_district (district_id) VALUES ('x')`, /readonly mode/],
      [`CREATE TABLE ${RESEARCH_DB}.mine (x UInt8) ENGINE = Memory`, /readonly mode/],
      [`DROP TABLE ${RESEARCH_DB}.weekly_app_usage_grade`, /readonly mode/],
      [`ALTER TABLE ${RESEARCH_DB}.weekly_app_usage_grade DROP PARTITION '${WEEK}'`, /readonly mode/],
      ['SET readonly = 0', /readonly mode/],
      ['SELECT * FROM numbers(3)', /Table functions are forbidden/],
      [
        `SELECT * FROM remote('127.0.0.1:${server.tcpPort}', ${env.config.CLICKHOUSE_DATABASE}.usage_events)`,
        /Table functions are forbidden/,
      ],
      [`SELECT * FROM url('${server.url}/?query=SELECT+1', TSV, 'x String')`, /Table functions are forbidden/],
      [`SELECT * FROM merge('${env.config.CLICKHOUSE_DATABASE}', '.*')`, /Table functions are forbidden/],
      ["SELECT * FROM file('x.csv', CSV, 'x String')", /Table functions are forbidden/],
    ];
    for (const [q, why] of refused) {
      const r = await asResearcher(q);
      expect({ q, ok: r.ok }).toEqual({ q, ok: false });
      expect(r.body).toMatch(why);
    }
    const setting = await asResearcher('SELECT 1', 'max_memory_usage=99999999999');
    expect(setting.ok).toBe(false);
    expect(setting.body).toMatch(/readonly mode/);
    // The table is unchanged.
    const n = await asResearcher(`SELECT count() FROM ${RESEARCH_DB}.weekly_app_usage_district`);
    expect(n.body).toBe('2');
  });

  it('sees in system.* only what docs/DATA_DICTIONARY.md "Access" says', async () => {
    const main = env.config.CLICKHOUSE_DATABASE;
    // Databases, tables, columns and parts: only the research database (and system) are listed.
    expect((await asResearcher('SELECT name FROM system.databases ORDER BY name')).body.split('\n')).toEqual([
      RESEARCH_DB,
      'system',
    ]);
    for (const t of ['tables', 'columns', 'parts']) {
      const r = await asResearcher(`SELECT count() FROM system.${t} WHERE database = '${main}'`);
      expect({ t, body: r.body }).toEqual({ t, body: '0' });
    }
    // system.processes shows every user's running queries, with their text: documented as exposed.
    const slow = fetch(`${server.url}/`, {
      method: 'POST',
      body: `SELECT sleep(3), 'visible-to-researcher' FROM ${main}.usage_events LIMIT 1`,
    });
    // Looked for while it runs (3 s, ClickHouse's longest sleep), not once after a fixed wait.
    const processes = await waitFor(
      () => asResearcher('SELECT query FROM system.processes'),
      (r) => r.body.includes('visible-to-researcher'),
      { what: 'the slow query in system.processes', timeoutMs: 2_800, intervalMs: 100 },
    ).catch(() => ({ ok: false, body: '(not seen while the query ran)' }));
    await slow;
    expect(processes.body).toContain('visible-to-researcher');
  });

  it('is set up by the local stack and docker-compose from the same file', () => {
    const file = 'infra/local/clickhouse-users.d/research.xml';
    const stack = readFileSync(path.join(repoRoot(), 'infra/local/stack'), 'utf8');
    // start_clickhouse copies every users.d file next to users.xml and gives the server the password.
    expect(stack).toMatch(/cp "\$HERE"\/clickhouse-users\.d\/\*\.xml "\$CH_DIR\/users\.d\/"/);
    expect(stack).toMatch(/CLICKHOUSE_RESEARCH_PASSWORD="\$CH_RESEARCH_PASSWORD" "\$\(clickhouse_server_bin\)"/);
    const compose = parse(readFileSync(path.join(repoRoot(), 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { volumes?: string[]; environment?: Record<string, string> }>;
    };
    const ch = compose.services.clickhouse!;
    expect(ch.volumes).toContain(`./${file}:/etc/clickhouse-server/users.d/research.xml:ro`);
    expect(ch.environment!.CLICKHOUSE_RESEARCH_PASSWORD).toBeDefined();
    expect(readFileSync(path.join(repoRoot(), file), 'utf8')).toContain(`<database>${RESEARCH_DB}</database>`);
  });
});
