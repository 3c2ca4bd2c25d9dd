/**
 * Privacy scan on the real pipeline (issue 8, part 6): after the sample district is stored, together
 * with bad inputs that carry planted secrets (an email inside malformed JSON, tokens in URL query
 * strings of Squid, native, CSV and Caliper inputs, a roster person's name in a bad CSV line), no
 * 6-character piece of any roster name, email, username, sourcedId or planted secret is in any String
 * column of any ClickHouse table of the suite's databases, nor of the research database and its CSV
 * exports as CSV and Parquet (see {@link researchDatabases}; the Parquet files are read back with pyarrow,
 * independently of the writer). The raw bad inputs stay on usage.dlq, where `dlq replay` needs them.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { queryRows, sqlString } from '@edusage/clickhouse';
import {
  ensureResearchSchema,
  refreshOutcomeBands,
  refreshWeek,
  RESEARCH_TABLES,
  schoolYearOf,
} from '@edusage/research';
import { readTopicToEnd } from '@edusage/kafka';
import { chdbPython } from '@edusage/testkit';
import { runServiceCli } from '../src/cli-run';
import { createApiKeys, importSquidFile, sendSampleEvents } from '../src/pipeline';
import { DISTRICT, setupE2E, type E2E } from './support/e2e';
import { hitsIn, piecesOf, scanDatabases, type Hit } from './support/privacy-scan';

jest.setTimeout(300_000);

/** pyarrow reads the Parquet exports back (the research package's reader script, from the bootstrap venv). */
const PARQUET_READER = path.resolve(__dirname, '..', '..', 'research', 'test', 'read-parquet.py');
const python = chdbPython();
const RESEARCH_CLI = path.resolve(__dirname, '..', '..', 'research', 'dist', 'cli.js');

/** A random secret no generated value can contain by chance. */
const secret = (label: string) => `${label}${randomBytes(6).toString('hex')}`;
const SECRETS = {
  email: `${secret('p')}.person@mail.example.net`,
  xapiKey: secret('xkey'),
  squidToken: secret('sqtok'),
  squidBadToken: secret('sqbad'),
  nativeToken: secret('natok'),
  nativeBadValue: secret('nabad'),
  csvToken: secret('cstok'),
  csvBadValue: secret('csbad'),
  caliperToken: secret('catok'),
  caliperBadValue: secret('cabad'),
};

/**
 * The research database built from the stored sample (`ensureResearchSchema` + a refresh of every week
 * of the sample and of its school years' outcome bands into `${db}_research`, k = 5 so that cells are
 * published) and each research table
 * exported as CSV into `exportsDir`; returns the database's name (it also starts with the suite's
 * database name, so it is scanned like the others).
 */
async function researchDatabases(e2e: E2E, exportsDir: string): Promise<string[]> {
  const researchDb = `${e2e.env.config.CLICKHOUSE_DATABASE}_research`;
  await ensureResearchSchema(e2e.env.config, researchDb);
  const weeks = await queryRows<{ week: string }>(
    e2e.ch,
    'SELECT DISTINCT toString(toMonday(local_date)) AS week FROM usage_events ORDER BY week',
  );
  for (const { week } of weeks) await refreshWeek(e2e.ch, researchDb, week, 5);
  for (const year of new Set(weeks.map((w) => schoolYearOf(w.week)))) {
    await refreshOutcomeBands(e2e.ch, researchDb, year, 5);
  }
  // Exported through the built `research` command, as a user runs it (hyparquet-writer is an ES module,
  // which jest cannot import in-process).
  for (const table of RESEARCH_TABLES) {
    for (const format of ['csv', 'parquet']) {
      const out = path.join(exportsDir, `${table}.${format}`);
      const r = spawnSync(
        process.execPath,
        [RESEARCH_CLI, 'export', '--table', table, '--format', format, '--out', out],
        {
          env: { ...process.env, ...e2e.env.env, RESEARCH_DATABASE: researchDb },
          encoding: 'utf8',
        },
      );
      if (r.status !== 0) throw new Error(`research export ${table} ${format} failed (${r.status}): ${r.stderr}`);
    }
  }
  return [researchDb];
}

/** The rows of a Parquet export as pyarrow reads them. */
function parquetRows(file: string): Record<string, unknown>[] {
  const r = spawnSync(python, [PARQUET_READER, file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`pyarrow could not read ${file}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { rows: Record<string, unknown>[] }).rows;
}

/** The hits of `pieces` in every line of the CSV exports and every value of the Parquet exports. */
function exportHits(exportsDir: string, pieces: Map<string, string>): { hits: Hit[]; parquetRows: number } {
  const hits: Hit[] = [];
  let rowsRead = 0;
  for (const table of RESEARCH_TABLES) {
    for (const line of readFileSync(path.join(exportsDir, `${table}.csv`), 'utf8').split('\n')) {
      hits.push(...hitsIn(line, pieces, `export ${table}.csv`));
    }
    const rows = parquetRows(path.join(exportsDir, `${table}.parquet`));
    rowsRead += rows.length;
    for (const row of rows) {
      for (const [column, value] of Object.entries(row)) {
        hits.push(...hitsIn(String(value), pieces, `export ${table}.parquet ${column}`));
      }
    }
  }
  return { hits, parquetRows: rowsRead };
}

describe('privacy scan: nothing personal in ClickHouse', () => {
  let e2e: E2E;

  beforeAll(async () => {
    e2e = await setupE2E('e2e_privacy');
  });

  afterAll(async () => {
    await e2e?.teardown();
  });

  it('pyarrow is there to read the Parquet exports (scripts/bootstrap installs it)', () => {
    expect(existsSync(python)).toBe(true);
    expect(spawnSync(python, ['-c', 'import pyarrow']).status).toBe(0);
  });

  it('the scan finds a planted piece (the detector can fail)', () => {
    const pieces = piecesOf(['maria.quintanilla@x.org']);
    expect(hitsIn('…quinta…', pieces, 'c')).toHaveLength(1);
    expect(hitsIn('MARIA.Q', pieces, 'c')).toHaveLength(1);
    expect(hitsIn('quint', pieces, 'c')).toHaveLength(0);
    // A hex-only piece inside a UUID or digest is chance; outside one it is a hit.
    const ids = piecesOf(['stu-000123', 'ab-cdef12']);
    expect(hitsIn('b6d8c1d1-68ef-4e45-9986-0d9fb3000123', ids, 'c')).toHaveLength(0);
    expect(hitsIn('order-000123', ids, 'c')).toHaveLength(1);
    expect(hitsIn('urn:uuid:b6d8c1d1-68ef-4e45-9986-0dcdef12ffff', ids, 'c')).toHaveLength(0);
  });

  it('stores the sample and planted bad inputs with no piece of a personal value or secret', async () => {
    const users = e2e.sample.roster.users;
    const person = users.find((u) => u.role === 'student')!;
    const iso = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();

    await sendSampleEvents(e2e.pipeline, DISTRICT, e2e.files, e2e.keys);

    // HTTP native (NDJSON): a valid event with a token in its URL, malformed JSON quoting an email, a bad value.
    const ndjson = [
      JSON.stringify({
        event_id: 'privacy-ok-1',
        occurred_at: iso(30),
        type: 'page_view',
        user: { sourced_id: person.sourcedId },
        app: { url: `https://www.khanacademy.org/math?session=${SECRETS.nativeToken}#${SECRETS.nativeToken}` },
      }),
      // A valid event whose app id is a page of the student's own (not in the catalog): only its host is kept.
      JSON.stringify({
        event_id: 'privacy-ok-2',
        occurred_at: iso(29),
        type: 'page_view',
        user: { sourced_id: person.sourcedId },
        app: { app_id: `zqxv-hosting.test/students/${person.email}` },
      }),
      // A client that forgot the quotes: V8's error text shows the 10 characters after the bad token.
      `{"event_id":"privacy-bad-1","user":{"email":${SECRETS.email}},"app":{"domain":"khanacademy.org"}}`,
      JSON.stringify({
        event_id: 'privacy-bad-2',
        occurred_at: SECRETS.nativeBadValue,
        type: 'page_view',
        user: { email: person.email },
        app: { domain: 'khanacademy.org' },
      }),
    ].join('\n');
    const res = await fetch(`${e2e.pipeline.ingestUrl}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${e2e.keys.agent}`, 'content-type': 'application/x-ndjson' },
      body: ndjson,
    });
    expect(res.status).toBe(202);
    expect((await res.json()) as { accepted: number }).toMatchObject({ accepted: 2 });

    // Caliper: a valid event whose object IRI has a token, one whose eventTime is a secret.
    const caliperEvent = (objectId: string, eventTime: string) => ({
      '@context': 'http://purl.imsglobal.org/ctx/caliper/v1p2',
      id: `urn:uuid:${randomBytes(16)
        .toString('hex')
        .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5')}`,
      type: 'NavigationEvent',
      actor: { id: `https://sis.example.edu/users/${person.sourcedId}`, type: 'Person' },
      action: 'NavigatedTo',
      object: { id: objectId, type: 'WebPage' },
      eventTime,
    });
    const caliper = await fetch(`${e2e.pipeline.ingestUrl}/v1/caliper`, {
      method: 'POST',
      headers: { authorization: `Bearer ${e2e.keys.caliper}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        sensor: 'https://example.edu/sensor',
        sendTime: iso(0),
        dataVersion: 'http://purl.imsglobal.org/ctx/caliper/v1p2',
        data: [
          caliperEvent(`https://www.khanacademy.org/course/1?token=${SECRETS.caliperToken}`, iso(20)),
          caliperEvent('https://www.khanacademy.org/course/2', SECRETS.caliperBadValue),
        ],
      }),
    });
    const caliperBody = (await caliper.json()) as { accepted: number; rejected: unknown[] };
    expect([caliper.status, caliperBody.accepted, caliperBody.rejected.length]).toEqual([202, 1, 1]);

    // xAPI: a statement with a duplicated extension key (refused naming the key's path) that holds a secret.
    const xapiKey = (await createApiKeys(e2e.serviceEnv, DISTRICT, ['xapi'])).xapi!;
    const extension = `https://example.edu/xapi/ext/${SECRETS.xapiKey}`;
    const statement = `{"actor":{"mbox":"mailto:${person.email}"},"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced"},"object":{"id":"https://www.khanacademy.org/v/1"},"timestamp":"${iso(15)}","context":{"extensions":{"${extension}":1,"${extension}":2}}}`;
    const xapi = await fetch(`${e2e.pipeline.ingestUrl}/v1/xapi/statements`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${xapiKey}:`).toString('base64')}`,
        'content-type': 'application/json',
        'x-experience-api-version': '1.0.3',
      },
      body: statement,
    });
    expect(xapi.status).toBe(400);

    // Squid: a valid line with a token in its query string, an unreadable one with another token.
    const epoch = (Date.now() / 1000 - 600).toFixed(3);
    const squidFile = path.join(e2e.files.dir, 'privacy-squid.log');
    writeFileSync(
      squidFile,
      [
        `${epoch}    120 10.1.2.3 TCP_MISS/200 900 GET https://www.khanacademy.org/math?auth=${SECRETS.squidToken} ${person.username} HIER_DIRECT/1.2.3.4 text/html`,
        `yesterday 120 10.1.2.3 TCP_MISS/200 900 GET https://www.khanacademy.org/a?token=${SECRETS.squidBadToken} ${person.username} HIER_DIRECT/1.2.3.4 text/html`,
      ].join('\n') + '\n',
    );
    const squid = await importSquidFile(e2e.serviceEnv, DISTRICT, squidFile);
    expect([squid.accepted, squid.rejected]).toEqual([1, 1]);

    // CSV: a valid row with a token in app_url; a bad row naming a roster person, with a secret value.
    const csvFile = path.join(e2e.files.dir, 'privacy.csv');
    writeFileSync(
      csvFile,
      [
        'event_id,occurred_at,type,user_email,user_username,app_domain,app_url,active_seconds',
        `privacy-csv-1,${iso(40)},use,${person.email},,,https://www.khanacademy.org/p?sid=${SECRETS.csvToken},120`,
        `privacy-csv-2,${iso(40)},use,,${person.givenName} ${person.familyName},khanacademy.org,,${SECRETS.csvBadValue}`,
      ].join('\n') + '\n',
    );
    const csvOut = await runServiceCli(
      'ingest',
      [
        'import',
        '--district',
        DISTRICT,
        '--source',
        'import',
        '--format',
        'csv',
        '--progress',
        'none',
        '--json',
        csvFile,
      ],
      e2e.serviceEnv,
    );
    expect(JSON.parse(csvOut)).toMatchObject({ accepted: 1, rejected: 1 });

    await e2e.drain();

    // The planted bad inputs are stored as dead letters (so the scan below reads them) ...
    const letters = await queryRows<{ n: string }>(
      e2e.ch,
      `SELECT count() AS n FROM dead_letters WHERE reason_code IN ('malformed_json', 'invalid_field', 'unparseable_line')`,
    );
    expect(Number(letters[0]!.n)).toBeGreaterThanOrEqual(5);
    // ... and their raw text stays on usage.dlq only, for `dlq replay`.
    let dlqText = '';
    await readTopicToEnd(e2e.kafka, e2e.env.topics.dlq, async (records) => {
      for (const r of records) dlqText += r.value ?? '';
    });
    expect(dlqText).toContain(SECRETS.email);
    expect(dlqText).toContain(SECRETS.squidBadToken);
    expect(dlqText).toContain(SECRETS.xapiKey);

    const personal = users.flatMap((u) => [
      u.sourcedId,
      u.email,
      u.username,
      u.givenName,
      u.familyName,
      u.middleName,
      u.identifier,
    ]);
    const unknown = e2e.sample.unknownPeople.flatMap((p) => Object.values(p.user));
    const pieces = piecesOf([...personal, ...unknown, ...Object.values(SECRETS)].filter((v) => v.length > 0));

    const db = e2e.env.config.CLICKHOUSE_DATABASE;
    const ownDatabases = await queryRows<{ name: string }>(
      e2e.ch,
      `SELECT name FROM system.databases WHERE startsWith(name, ${sqlString(db)})`,
    );
    const exportsDir = path.join(e2e.files.dir, 'research-exports');
    mkdirSync(exportsDir, { recursive: true });
    const research = await researchDatabases(e2e, exportsDir);
    const databases = [...new Set([...ownDatabases.map((d) => d.name), ...research])];
    const scan = await scanDatabases(e2e.ch, databases, pieces);
    expect(scan.tables).toEqual(
      expect.arrayContaining([
        `${db}.usage_events`,
        `${db}.dead_letters`,
        `${db}.dim_people`,
        `${db}_research.weekly_app_usage_school`,
        `${db}_research.weekly_app_usage_grade`,
      ]),
    );
    // The research tables hold published cells of the sample, and their exports are scanned too.
    const published = await queryRows<{ n: string }>(
      e2e.ch,
      `SELECT count() AS n FROM ${db}_research.weekly_app_usage_school WHERE suppressed = 0`,
    );
    expect(Number(published[0]!.n)).toBeGreaterThan(0);
    const exported = exportHits(exportsDir, pieces);
    expect(exported.parquetRows).toBeGreaterThan(0);
    expect(exported.hits.map((h) => `${h.column}: "${h.piece}" of ${h.from} in ${h.value}`)).toEqual([]);
    expect(scan.values).toBeGreaterThan(1_000);
    expect(scan.hits.map((h) => `${h.column}: "${h.piece}" of ${h.from} in ${h.value}`)).toEqual([]);
  });
});
