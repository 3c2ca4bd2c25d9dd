/**
 * Retention: per-table policies enforced by dropping whole month partitions (ClickHouse 18.16 has no
 * TTL). Every table a policy may name is partitioned by toYYYYMM(<day or time>), so a partition id is
 * YYYYMM; a month is dropped once its last day is before the cut-off (today minus the period), i.e.
 * only months wholly older than the period. Rules that keep the pipeline exact (docs/ARCHITECTURE.md
 * "Retention"):
 *
 * - Rollups, roster dimensions, licenses, research tables and the sink's bookkeeping are never dropped:
 *   a policy naming them is refused.
 * - usage_event_revisions follows usage_events (the same months, dropped first, so a revision never
 *   outlives the row it corrects).
 * - event_claims is kept by default (as long as the rollups): a claim dropped with its month would let a
 *   later re-import of that month's events be stored and folded into the kept rollups a second time.
 *   A policy may drop claims, but never sooner than usage_events: usage_events is handled first, and a
 *   month's claims go only once that month is gone from usage_events (not deferred, and not left by a
 *   run that stopped between the two drops), whatever order the policy lists them in.
 * - A usage_events month holding an offset not yet folded into the rollups (at or above its
 *   partition's watermark) is left for the next run.
 */
import { command, queryRows, sqlIdentifier, sqlList, sqlString, type ClickHouseClient } from '@edusage/clickhouse';

export type RetentionPeriod = { months: number } | { days: number };
export type RetentionPolicy = ReadonlyMap<string, RetentionPeriod>;

export const DEFAULT_RETENTION_POLICY = 'usage_events=13m,dead_letters=90d,api_audit_log=36m';

/** Tables whose rows are never dropped by retention (prefix match for the families). */
const NEVER_DROPPED = [
  'rollup_',
  'dim_',
  'licenses',
  'license_',
  'app_approvals',
  'schema_migrations',
  'usage_event_revisions',
  'reresolution_runs',
  'person_erasures',
  'person_erasure_offsets',
  'retention_drops',
  // The research tables live in the research database, which retention never reads; named here so a
  // policy naming one is refused like the rest (docs/ARCHITECTURE.md "Retention").
  'weekly_',
  'outcome_bands',
  'publications',
];

const TABLE = /^[a-z_][a-z0-9_]*$/;

/** "usage_events=13m,dead_letters=90d" → policy; errors name the entry. */
export function parseRetentionPolicy(text: string): RetentionPolicy {
  const policy = new Map<string, RetentionPeriod>();
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0)) {
    const m = /^([^=\s]+)\s*=\s*(\d+)\s*([md])$/.exec(entry);
    if (!m) throw new Error(`retention entry "${entry}" is not <table>=<n>m or <table>=<n>d`);
    const [, table, amount, unit] = m as unknown as [string, string, string, 'm' | 'd'];
    if (!TABLE.test(table)) throw new Error(`retention entry "${entry}": "${table}" is not a table name`);
    if (NEVER_DROPPED.some((p) => (p.endsWith('_') ? table.startsWith(p) : table === p))) {
      throw new Error(`retention entry "${entry}": ${table} is never dropped (see docs/ARCHITECTURE.md "Retention")`);
    }
    const n = Number(amount);
    if (n < 1) throw new Error(`retention entry "${entry}": the period must be at least 1`);
    if (policy.has(table)) throw new Error(`retention entry "${entry}": ${table} is named twice`);
    policy.set(table, unit === 'm' ? { months: n } : { days: n });
  }
  const events = policy.get('usage_events');
  const claims = policy.get('event_claims');
  if (claims !== undefined && (events === undefined || cutoff('2000-03-01', claims) > cutoff('2000-03-01', events))) {
    throw new Error('retention: event_claims must be kept at least as long as usage_events (duplicate detection)');
  }
  return policy;
}

/** The first day still kept: `today` minus the period (a month back keeps the day, clamped to the month's end). */
export function cutoff(today: string, period: RetentionPeriod): string {
  const d = new Date(`${today}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) throw new Error(`not a day: ${today}`);
  if ('days' in period) return new Date(d.getTime() - period.days * 86_400_000).toISOString().slice(0, 10);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() - period.months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(Date.UTC(y, m, Math.min(d.getUTCDate(), lastDay))).toISOString().slice(0, 10);
}

/** Partition ids (YYYYMM) wholly before the cut-off day. Any other id is refused, naming the table. */
export function expiredMonths(table: string, partitionIds: readonly string[], cutoffDay: string): string[] {
  const cutoffMonth = cutoffDay.slice(0, 4) + cutoffDay.slice(5, 7);
  return partitionIds
    .map((id) => {
      if (!/^\d{6}$/.test(id)) {
        throw new Error(`retention: ${table} has partition "${id}", not a month (toYYYYMM): refused`);
      }
      return id;
    })
    .filter((id) => id < cutoffMonth)
    .sort();
}

async function partitionIds(ch: ClickHouseClient, database: string, table: string): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    ch,
    `SELECT DISTINCT partition_id AS id FROM system.parts
     WHERE database = ${sqlString(database)} AND table = ${sqlString(table)} AND active`,
  );
  return rows.map((r) => r.id);
}

async function tableExists(ch: ClickHouseClient, database: string, table: string): Promise<boolean> {
  const rows = await queryRows<{ n: string }>(
    ch,
    `SELECT count() AS n FROM system.tables WHERE database = ${sqlString(database)} AND name = ${sqlString(table)}`,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

/** Months of usage_events holding an offset that the rollups have not folded yet. */
async function unfoldedMonths(ch: ClickHouseClient, months: readonly string[]): Promise<Set<string>> {
  if (months.length === 0) return new Set();
  const rows = await queryRows<{ month: string }>(
    ch,
    `SELECT DISTINCT toString(toYYYYMM(local_date)) AS month
     FROM usage_events AS e
     ANY LEFT JOIN (SELECT kafka_topic, kafka_partition, max(derived_to) AS folded_to
                    FROM rollup_watermarks GROUP BY kafka_topic, kafka_partition) AS w
       USING (kafka_topic, kafka_partition)
     WHERE toYYYYMM(local_date) IN ${sqlList(months, (m) => m)} AND kafka_offset >= folded_to`,
  );
  return new Set(rows.map((r) => r.month));
}

async function dropMonths(ch: ClickHouseClient, table: string, months: readonly string[]): Promise<void> {
  for (const id of months) {
    // Begun before, done after: a reader that finds a row gone can tell it was dropped even before the
    // second record, and a drop that failed (its parts still there) is not taken for one.
    const record = (done: 0 | 1) =>
      command(
        ch,
        `INSERT INTO retention_drops (table_name, partition_id, dropped_at, done) VALUES (${sqlString(table)}, ${sqlString(id)}, now(), ${done})`,
      );
    await record(0);
    await command(ch, `ALTER TABLE ${sqlIdentifier(table)} DROP PARTITION ID ${sqlString(id)}`);
    await record(1);
  }
}

export interface RetentionResult {
  /** Months dropped per table. */
  dropped: Record<string, string[]>;
  /** usage_events months kept this run because some of their events are not folded into the rollups yet. */
  deferred: string[];
  /** Tables of the policy that do not exist in this database. */
  missing: string[];
}

/**
 * usage_events' expired months, less those holding unfolded events (deferred), with their revisions
 * dropped first: a revision must never be left without its event.
 */
async function dropUsageEvents(
  ch: ClickHouseClient,
  database: string,
  expired: readonly string[],
  result: RetentionResult,
): Promise<string[]> {
  const unfolded = await unfoldedMonths(ch, expired);
  result.deferred = expired.filter((m) => unfolded.has(m));
  const months = expired.filter((m) => !unfolded.has(m));
  const revisionMonths = new Set(await partitionIds(ch, database, 'usage_event_revisions'));
  const revisions = months.filter((m) => revisionMonths.has(m));
  await dropMonths(ch, 'usage_event_revisions', revisions);
  if (revisions.length > 0) result.dropped.usage_event_revisions = revisions;
  return months;
}

/**
 * event_claims' expired months that usage_events no longer holds (read after its drops) and did not
 * defer: a claim must outlive its event, or a later copy of that event is claimed as new.
 */
async function claimMonths(
  ch: ClickHouseClient,
  database: string,
  expired: readonly string[],
  deferred: readonly string[],
): Promise<string[]> {
  const events = new Set([...(await partitionIds(ch, database, 'usage_events')), ...deferred]);
  return expired.filter((m) => !events.has(m));
}

/** usage_events first (claims depend on what it kept), then the other tables in the policy's order. */
const inDropOrder = (policy: RetentionPolicy) =>
  [...policy].sort(([a], [b]) => Number(b === 'usage_events') - Number(a === 'usage_events'));

/** Applies `policy` on `today` to the database `ch` is bound to. */
export async function enforceRetention(
  ch: ClickHouseClient,
  database: string,
  policy: RetentionPolicy,
  today: string,
): Promise<RetentionResult> {
  const result: RetentionResult = { dropped: {}, deferred: [], missing: [] };
  for (const [table, period] of inDropOrder(policy)) {
    if (!(await tableExists(ch, database, table))) {
      result.missing.push(table);
      continue;
    }
    let months = expiredMonths(table, await partitionIds(ch, database, table), cutoff(today, period));
    if (table === 'usage_events') months = await dropUsageEvents(ch, database, months, result);
    if (table === 'event_claims') months = await claimMonths(ch, database, months, result.deferred);
    await dropMonths(ch, table, months);
    if (months.length > 0) result.dropped[table] = months;
  }
  return result;
}
