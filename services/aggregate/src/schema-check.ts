import { queryRows, sqlList, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import type { StateColumn } from '@edusage/rollups';
import { PartitionRefused } from './errors';

// Every state column of @edusage/rollups (the Record makes a new one a compile error here).
const MEASURES: Readonly<Record<StateColumn, string>> = {
  events: 'AggregateFunction(sum, UInt64)',
  active_users: 'AggregateFunction(uniqExact, String)',
  explicit_seconds: 'AggregateFunction(sum, UInt64)',
  active_minutes: "AggregateFunction(uniqExactIf, String, DateTime('UTC'), UInt8)",
  unresolved_person_events: 'AggregateFunction(sum, UInt64)',
  unresolved_app_events: 'AggregateFunction(sum, UInt64)',
};
const COORDINATES = { kafka_topic: 'String', kafka_partition: 'UInt32', kafka_offset: 'UInt64' };
const RANGE = { kafka_topic: 'String', kafka_partition: 'UInt32', range_start: 'UInt64', range_end: 'UInt64' };

/** The columns of usage_events, which its revisions share. */
const EVENT_ROW = {
  district_id: 'String',
  local_date: 'Date',
  occurred_at: "DateTime('UTC')",
  school_id: 'String',
  class_id: 'String',
  class_attribution: "Enum8('none' = 0, 'explicit' = 1, 'inferred' = 2)",
  person_id: 'String',
  person_resolved: 'UInt8',
  role: 'String',
  app_id: 'String',
  app_resolved: 'UInt8',
  app_domain: 'String',
  source: 'String',
  event_type: 'String',
  campus: "Enum8('unknown' = 0, 'on' = 1, 'off' = 2)",
  explicit_seconds: 'UInt32',
  counts_minute: 'UInt8',
  event_id: 'String',
  dedup_key: 'String',
  ...COORDINATES,
  stored_at: "DateTime('UTC')",
};

/** Every column the sink writes or reads, with its type, per table (infra/clickhouse 0001–0006, 0014, 0500). */
export const SINK_COLUMNS: Record<string, Record<string, string>> = {
  usage_events: EVENT_ROW,
  dead_letters: {
    failed_at: "DateTime('UTC')",
    stage: 'String',
    source: 'String',
    district_id: 'String',
    reason_code: 'String',
    reason_field: 'String',
    reason_line: 'UInt32',
    reason_message: 'String',
    payload_sha256: 'String',
    payload_bytes: 'UInt32',
    payload_truncated: 'UInt8',
    origin: 'String',
    ...COORDINATES,
    stored_at: "DateTime('UTC')",
  },
  // The claims of "Duplicate events" (dedup.ts) and the revisions the folds read (current-events.ts).
  event_claims: {
    kafka_topic: 'String',
    kafka_partition: 'UInt32',
    local_date: 'Date',
    key_hi: 'UInt64',
    key_lo: 'UInt64',
    owner_offset: 'UInt64',
    refused: 'UInt8',
    refused_at: "DateTime('UTC')",
  },
  usage_event_revisions: { ...EVENT_ROW, revision: 'UInt64' },
  // Months retention dropped: whether a refused claim's row is gone for good (dedup.ts).
  retention_drops: { table_name: 'String', partition_id: 'String', dropped_at: "DateTime('UTC')", done: 'UInt8' },
  // The erased people whose events the usage_events INSERT leaves out (handlers.ts storeOnly).
  person_erasures: { district_id: 'String', person_ids: 'Array(String)' },
  rollup_watermarks: {
    kafka_topic: 'String',
    kafka_partition: 'UInt32',
    derived_to: 'UInt64',
    derived_at: "DateTime('UTC')",
  },
  rollup_fold_intents: {
    kafka_topic: 'String',
    kafka_partition: 'UInt32',
    attempt: 'UInt64',
    attempt_id: 'String',
    range_start: 'UInt64',
    range_end: 'UInt64',
    intended_at: "DateTime('UTC')",
  },
  rollup_district_app_daily_parts: {
    district_id: 'String',
    local_date: 'Date',
    app_id: 'String',
    role: 'String',
    ...RANGE,
    ...MEASURES,
  },
  rollup_school_app_daily_parts: {
    district_id: 'String',
    school_id: 'String',
    local_date: 'Date',
    app_id: 'String',
    role: 'String',
    ...RANGE,
    ...MEASURES,
  },
  rollup_class_app_daily_parts: {
    district_id: 'String',
    school_id: 'String',
    class_id: 'String',
    local_date: 'Date',
    app_id: 'String',
    role: 'String',
    ...RANGE,
    ...MEASURES,
  },
};

/** ClickHouse versions spell the same type with or without blanks after commas and around '='. */
const normalizeType = (type: string) => type.replace(/\s+/g, '');

/**
 * The differences between the tables the sink writes and what it expects: missing tables, missing
 * columns and columns of another type (columns added later are allowed: an INSERT leaves them at their
 * defaults). Empty when the schema is as expected.
 */
export async function sinkSchemaProblems(ch: ClickHouseClient, signal?: AbortSignal): Promise<string[]> {
  // The client only hears an abort that comes while its request runs.
  signal?.throwIfAborted();
  const tables = Object.keys(SINK_COLUMNS);
  const rows = await queryRows<{ table: string; name: string; type: string }>(
    ch,
    `SELECT table, name, type FROM system.columns
     WHERE database = currentDatabase() AND table IN ${sqlList(tables, sqlString)}`,
    signal ? { signal } : {},
  );
  const problems: string[] = [];
  for (const table of tables) {
    const actual = new Map(rows.filter((r) => r.table === table).map((r) => [r.name, r.type]));
    if (actual.size === 0) {
      problems.push(`table ${table} is missing`);
      continue;
    }
    for (const [column, type] of Object.entries(SINK_COLUMNS[table]!)) {
      const found = actual.get(column);
      if (found === undefined) problems.push(`${table}.${column} is missing (expected ${type})`);
      else if (normalizeType(found) !== normalizeType(type))
        problems.push(`${table}.${column} is ${found}, expected ${type}`);
    }
  }
  return problems;
}

/**
 * While running: throws a `PartitionRefused` naming every difference if the sink's tables drifted since
 * the start (`cause` says what failed). ClickHouse refusing a statement is otherwise retried, which no
 * retry mends when a table changed under the sink. `signal` (the worker's stop) abandons the check.
 */
export async function refuseIfDrifted(ch: ClickHouseClient, cause: string, signal?: AbortSignal): Promise<void> {
  const problems = await sinkSchemaProblems(ch, signal);
  if (problems.length > 0)
    throw new PartitionRefused(
      `ClickHouse schema drifted (${cause}): ${problems.join('; ')}. ` +
        'Fix it with a new migration in infra/clickhouse (never by hand) and restart; nothing was skipped or committed.',
    );
}

/** Throws, naming every difference, unless the sink's tables are as it expects (run at start). */
export async function checkSinkSchema(ch: ClickHouseClient): Promise<void> {
  const problems = await sinkSchemaProblems(ch);
  if (problems.length > 0)
    throw new PartitionRefused(
      `ClickHouse schema does not match what the aggregate sink writes: ${problems.join('; ')}. ` +
        'Fix it with a new migration in infra/clickhouse (never by hand).',
    );
}
