/**
 * Retention on the real ClickHouse (the suite's own database), with old and new month partitions:
 * whole expired months of usage_events (with their revisions) and dead_letters are dropped, newer
 * months and the rollups are kept, a month holding events not yet folded into the rollups is deferred,
 * and event_claims keeps the dropped months so a re-imported copy of an old event is still a
 * duplicate; on ClickHouse 18.16 and on a current engine (chdb). The policy parser refuses what would
 * break the pipeline. Expected months are written by
 * hand from the policy (today 2026-12-03: 13 months keep from 2025-11-03, 90 days from 2026-09-04).
 */
import {
  command,
  createClickHouse,
  insertRows,
  queryRows,
  runMigrations,
  type ClickHouseClient,
} from '@edusage/clickhouse';
import { claimEvents, deriveRollups } from '@edusage/aggregate';
import {
  createTestEnv,
  migrationsDir,
  startCurrentClickHouse,
  type CurrentClickHouse,
  type TestEnv,
} from '@edusage/testkit';
import { loadJobsConfig } from '../src/config';
import { cutoff, enforceRetention, parseRetentionPolicy } from '../src/retention';

jest.setTimeout(120_000);

const TOPIC = 'usage.enriched';
const TODAY = '2026-12-03';
const key = (n: number) => n.toString(16).padStart(32, '0');

function event(day: string, partition: number, offset: number) {
  return {
    district_id: 'd1',
    local_date: day,
    occurred_at: `${day} 12:00:00`,
    school_id: 'sch-1',
    class_id: '',
    class_attribution: 'none',
    person_id: `p${offset % 7}`,
    person_resolved: 1,
    role: 'student',
    app_id: 'app-a',
    app_resolved: 1,
    app_domain: 'a.example',
    source: 'agent',
    event_type: 'use',
    campus: 'unknown',
    explicit_seconds: 60,
    counts_minute: 0,
    event_id: `e${partition}-${offset}`,
    dedup_key: key(partition * 1000 + offset + 1),
    kafka_topic: TOPIC,
    kafka_partition: partition,
    kafka_offset: offset,
    stored_at: `${day} 12:00:01`,
  };
}

const auditEntry = (at: string) => ({
  at,
  at_ms: Date.parse(`${at.replace(' ', 'T')}Z`),
  request_id: `r-${at}`,
  token_id: 'abcdef012345',
  role: 'director',
  district_id: 'd1',
  method: 'GET',
  route: '/v1/licenses',
  params: '{}',
  status: 200,
  duration_ms: 5,
  ip: '127.0.0.1',
});

const deadLetter = (failedAt: string, offset: number) => ({
  failed_at: failedAt,
  stage: 'ingest',
  source: 'agent',
  district_id: 'd1',
  reason_code: 'invalid',
  reason_field: 'x',
  reason_line: 0,
  reason_message: 'bad',
  payload_sha256: 'ab',
  payload_bytes: 2,
  payload_truncated: 0,
  origin: 'r#0',
  kafka_topic: 'usage.dlq',
  kafka_partition: 0,
  kafka_offset: offset,
  stored_at: failedAt,
});

/** Old and new months on one engine; `database` is the one `ch` is bound to. */
async function scenario(ch: ClickHouseClient, database: string): Promise<void> {
  const months = async (table: string) =>
    (
      await queryRows<{ m: string }>(
        ch,
        `SELECT DISTINCT partition_id AS m FROM system.parts
         WHERE database = currentDatabase() AND table = '${table}' AND active ORDER BY m`,
      )
    ).map((r) => r.m);
  const rollupTotal = async () =>
    (
      await queryRows<{ events: string | number; users: string | number }>(
        ch,
        `SELECT sumMerge(events) AS events, uniqExactMerge(active_users) AS users FROM rollup_district_app_daily`,
      )
    ).map((r) => ({ events: Number(r.events), users: Number(r.users) }))[0];

  // Partition 0: events of four months, all folded into the rollups and claimed.
  const days = ['2025-01-15', '2025-10-31', '2025-11-01', '2026-11-30'];
  const folded = days.flatMap((d, i) => [event(d, 0, 2 * i), event(d, 0, 2 * i + 1)]);
  const claims = folded.map((e) => ({ key: e.dedup_key, localDate: e.local_date, offset: String(e.kafka_offset) }));
  expect(await claimEvents(ch, TOPIC, 0, claims)).toEqual(claims.map(() => true));
  await insertRows(ch, 'usage_events', folded);
  await insertRows(ch, 'usage_event_revisions', [
    { ...folded[0], person_id: 'p-revised', revision: 5, roster_version: 'v', revised_at: '2025-02-01 00:00:00' },
    { ...folded[4], person_id: 'p-revised', revision: 5, roster_version: 'v', revised_at: '2025-12-01 00:00:00' },
  ]);
  await deriveRollups(ch, TOPIC, 0, BigInt(folded.length));
  // Partition 1: an old event (February 2025) stored but not folded yet.
  await insertRows(ch, 'usage_events', [event('2025-02-10', 1, 0)]);
  await insertRows(ch, 'dead_letters', [deadLetter('2026-08-31 23:59:59', 0), deadLetter('2026-09-01 00:00:00', 1)]);
  const rollupsBefore = await rollupTotal();
  expect(rollupsBefore).toEqual({ events: 8, users: 7 });

  // The API's audit log: 36 months keeps December 2023 and drops November 2023.
  await insertRows(ch, 'api_audit_log', [auditEntry('2023-11-30 23:59:59'), auditEntry('2023-12-01 00:00:00')]);
  // A table named in the policy that this deployment does not have (reported, not an error).
  await command(ch, 'DROP TABLE IF EXISTS usage_events_archive');

  const policy = parseRetentionPolicy('usage_events=13m,dead_letters=90d,api_audit_log=36m,usage_events_archive=13m');
  const r = await enforceRetention(ch, database, policy, TODAY);

  expect(r.dropped).toEqual({
    usage_events: ['202501', '202510'],
    usage_event_revisions: ['202501'],
    dead_letters: ['202608'],
    api_audit_log: ['202311'],
  });
  expect(r.deferred).toEqual(['202502']);
  expect(r.missing).toEqual(['usage_events_archive']);
  expect(await months('api_audit_log')).toEqual(['202312']);
  expect(await months('usage_events')).toEqual(['202502', '202511', '202611']);
  expect(await months('usage_event_revisions')).toEqual(['202511']);
  expect(await months('dead_letters')).toEqual(['202609']);
  // Rollups and claims are kept whole.
  expect(await rollupTotal()).toEqual(rollupsBefore);
  expect(await months('event_claims')).toEqual(['202501', '202510', '202511', '202611']);

  // Every month dropped is recorded (what the sink asks of a refused claim's month: dedup.ts).
  const recorded = await queryRows<{ t: string; m: string }>(
    ch,
    'SELECT table_name AS t, partition_id AS m FROM retention_drops WHERE done = 1 ORDER BY t, m',
  );
  expect(recorded.map((r) => `${r.t}:${r.m}`)).toEqual(
    Object.entries(r.dropped)
      .flatMap(([table, ms]) => ms.map((m) => `${table}:${m}`))
      .sort(),
  );

  // A re-import of a dropped month's event arrives at a new offset: still a duplicate.
  const copy = { key: folded[0]!.dedup_key, localDate: folded[0]!.local_date, offset: '100' };
  expect(await claimEvents(ch, TOPIC, 0, [copy])).toEqual([false]);

  // Once February is folded, the next run drops it; a run with nothing expired drops nothing.
  await deriveRollups(ch, TOPIC, 1, 1n);
  const again = await enforceRetention(ch, database, policy, TODAY);
  expect(again.dropped).toEqual({ usage_events: ['202502'] });
  expect(again.deferred).toEqual([]);
  const third = await enforceRetention(ch, database, policy, TODAY);
  expect(third.dropped).toEqual({});
}

describe('retention', () => {
  it('drops whole expired months, keeps the rollups and the claims, defers unfolded months (18.16)', async () => {
    const env: TestEnv = await createTestEnv('jobs_retention', { kafka: false });
    const ch = createClickHouse(env.config);
    try {
      await scenario(ch, env.config.CLICKHOUSE_DATABASE);
    } finally {
      await ch.close();
      await env.cleanup();
    }
  });

  it('does the same on a current ClickHouse engine (chdb)', async () => {
    const current: CurrentClickHouse = await startCurrentClickHouse('edusage_retention_current');
    try {
      await runMigrations(current.client, migrationsDir());
      await scenario(current.client, 'edusage_retention_current');
    } finally {
      await current.close();
    }
  });

  it('never drops the claims of a month whose events it keeps, whatever order the policy lists them in', async () => {
    const env: TestEnv = await createTestEnv('jobs_retention_claims', { kafka: false });
    const ch = createClickHouse(env.config);
    const database = env.config.CLICKHOUSE_DATABASE;
    const claimOf = (e: ReturnType<typeof event>, offset = e.kafka_offset) => ({
      key: e.dedup_key,
      localDate: e.local_date,
      offset: String(offset),
    });
    try {
      // January 2025 folded; February 2025 stored and claimed but not folded (no watermark for partition 1).
      const folded = event('2025-01-15', 0, 0);
      const unfolded = event('2025-02-10', 1, 0);
      expect(await claimEvents(ch, TOPIC, 0, [claimOf(folded)])).toEqual([true]);
      expect(await claimEvents(ch, TOPIC, 1, [claimOf(unfolded)])).toEqual([true]);
      await insertRows(ch, 'usage_events', [folded, unfolded]);
      await deriveRollups(ch, TOPIC, 0, 1n);

      // Claims named first (the reviewer's policy): February's events are deferred, so are its claims.
      const policy = parseRetentionPolicy('event_claims=13m,usage_events=13m');
      const r = await enforceRetention(ch, database, policy, TODAY);
      expect(r).toEqual({
        dropped: { usage_events: ['202501'], event_claims: ['202501'] },
        deferred: ['202502'],
        missing: [],
      });
      // A later copy of the kept, unfolded event is still a duplicate.
      expect(await claimEvents(ch, TOPIC, 1, [claimOf(unfolded, 5)])).toEqual([false]);

      // Claims alone (as after a run stopped between the two drops): a month still in usage_events
      // keeps its claims even when nothing defers it.
      await deriveRollups(ch, TOPIC, 1, 1n);
      const claimsOnly = await enforceRetention(ch, database, new Map([['event_claims', { months: 13 }]]), TODAY);
      expect(claimsOnly.dropped).toEqual({});
      expect(await claimEvents(ch, TOPIC, 1, [claimOf(unfolded, 6)])).toEqual([false]);
      // Once usage_events dropped February, its claims follow.
      const next = await enforceRetention(ch, database, policy, TODAY);
      expect(next.dropped).toEqual({ usage_events: ['202502'], event_claims: ['202502'] });
    } finally {
      await ch.close();
      await env.cleanup();
    }
  });

  it('reads the policy and the research settings from the environment, errors naming the variable', () => {
    const base = { CLICKHOUSE_DATABASE: 'edusage' };
    const config = loadJobsConfig(base);
    expect([...config.RETENTION_POLICY.keys()]).toEqual(['usage_events', 'dead_letters', 'api_audit_log']);
    expect(config.RESEARCH_K).toBe(10);
    expect(() => loadJobsConfig({ ...base, RETENTION_POLICY: 'rollup_school_app_daily_parts=1m' })).toThrow(
      /RETENTION_POLICY.*never dropped/s,
    );
    expect(() => loadJobsConfig({ ...base, RESEARCH_K: '4' })).toThrow(/RESEARCH_K/);
    expect(() => loadJobsConfig({ ...base, RESEARCH_DATABASE: 'a-b' })).toThrow(/RESEARCH_DATABASE/);
    expect(config.RESEARCH_SETTLE_WEEKS).toBe(2);
    expect(loadJobsConfig({ ...base, RESEARCH_SETTLE_WEEKS: '0' }).RESEARCH_SETTLE_WEEKS).toBe(0);
    expect(() => loadJobsConfig({ ...base, RESEARCH_SETTLE_WEEKS: '9' })).toThrow(/RESEARCH_SETTLE_WEEKS/);
    // The variable it replaced changed meaning: a deployment still setting it is told, not ignored.
    expect(() => loadJobsConfig({ ...base, RESEARCH_REFRESH_WEEKS: '4' })).toThrow(
      /RESEARCH_REFRESH_WEEKS: no longer read.*RESEARCH_SETTLE_WEEKS/,
    );
    expect(() => loadJobsConfig({ ...base, RESEARCH_GOALS: 'ixl=-1' })).toThrow(/RESEARCH_GOALS.*"ixl=-1"/s);
    expect([...loadJobsConfig({ ...base, RESEARCH_GOALS: 'ixl=45, newsela=20' }).RESEARCH_GOALS]).toEqual([
      ['ixl', 45],
      ['newsela', 20],
    ]);
  });

  it('computes cut-offs by calendar months and days', () => {
    expect(cutoff(TODAY, { months: 13 })).toBe('2025-11-03');
    expect(cutoff('2026-03-31', { months: 1 })).toBe('2026-02-28');
    expect(cutoff(TODAY, { days: 90 })).toBe('2026-09-04');
  });

  it('refuses policies that would break the pipeline, naming the entry', () => {
    expect(() => parseRetentionPolicy('rollup_district_app_daily_parts=12m')).toThrow(
      /rollup_district_app_daily_parts is never dropped/,
    );
    expect(() => parseRetentionPolicy('dim_people=1m')).toThrow(/never dropped/);
    expect(() => parseRetentionPolicy('usage_event_revisions=1m')).toThrow(/never dropped/);
    for (const research of ['weekly_app_usage_district', 'outcome_bands', 'publications'])
      expect(() => parseRetentionPolicy(`${research}=1m`)).toThrow(/never dropped/);
    expect(() => parseRetentionPolicy('usage_events=13m,event_claims=6m')).toThrow(
      /event_claims must be kept at least as long/,
    );
    expect(() => parseRetentionPolicy('event_claims=24m')).toThrow(/event_claims must be kept/);
    expect(() => parseRetentionPolicy('usage_events=13')).toThrow(/"usage_events=13" is not <table>=<n>m/);
    expect(() => parseRetentionPolicy('usage_events=0m')).toThrow(/at least 1/);
    expect(() => parseRetentionPolicy('dead_letters=90d,dead_letters=30d')).toThrow(/named twice/);
    expect([...parseRetentionPolicy('usage_events=13m,event_claims=24m')]).toEqual([
      ['usage_events', { months: 13 }],
      ['event_claims', { months: 24 }],
    ]);
  });
});
