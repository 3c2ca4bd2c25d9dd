import { randomUUID } from 'node:crypto';
import { command, queryRows, sqlNumber, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import {
  ALL_LEVELS,
  invalidateCompactions,
  ROLLUP_LEVELS,
  STATE_COLUMNS,
  type RollupLevel,
  type StateColumn,
} from '@edusage/rollups';
import { currentEventsIn } from './current-events';
import { partitionIs } from './partition-sql';

// The levels (tables, cells, which events each counts) are @edusage/rollups' list, shared with the
// compaction and the readers.
const LEVELS = ALL_LEVELS.map((l) => ROLLUP_LEVELS[l]);

// The measures of docs/ARCHITECTURE.md "Metric rules", as aggregate states: for each state column the
// state over a fold's events, and the same state over no row (an aggregation without GROUP BY over
// nothing gives one row of empty states: the contribution of a cell whose events all moved to other
// cells in a re-fold). Keyed by column and written in STATE_COLUMNS' order, so the SELECT always lines
// up with the INSERT's column list (two `sum` states swapped would not fail, only count wrong).
const STATE_OF: Readonly<Record<StateColumn, { fold: string; empty: string }>> = {
  events: { fold: 'sumState(toUInt64(1))', empty: 'sumState(toUInt64(0))' },
  active_users: { fold: 'uniqExactState(person_id)', empty: "uniqExactState(toString(''))" },
  explicit_seconds: { fold: 'sumState(toUInt64(explicit_seconds))', empty: 'sumState(toUInt64(0))' },
  active_minutes: {
    fold: 'uniqExactIfState(person_id, toStartOfMinute(occurred_at), counts_minute)',
    empty: "uniqExactIfState(toString(''), toDateTime(0, 'UTC'), toUInt8(0))",
  },
  unresolved_person_events: { fold: 'sumState(toUInt64(1 - person_resolved))', empty: 'sumState(toUInt64(0))' },
  unresolved_app_events: { fold: 'sumState(toUInt64(1 - app_resolved))', empty: 'sumState(toUInt64(0))' },
};

const statesAs = (kind: 'fold' | 'empty') => STATE_COLUMNS.map((c) => `${STATE_OF[c][kind]} AS ${c}`).join(',\n  ');

const STATES = statesAs('fold');

/**
 * The columns a fold writes into a level's parts table, named so that a column added to the table
 * later takes its default instead of breaking the INSERT (the start check allows added columns).
 */
const partsColumns = (keys: string) =>
  `(${keys}, kafka_topic, kafka_partition, range_start, range_end, ${STATE_COLUMNS.join(', ')})`;

const EMPTY_STATES = `(SELECT ${statesAs('empty')}
  FROM system.one WHERE 0)`;

export interface Derivation {
  from: string;
  to: string;
}

/**
 * No fold was made: the partition has offsets stored at or beyond `upTo` above its watermark (up to
 * `storedEnd`), by a worker that died or lost the partition, perhaps after folding them. The caller
 * folds once its own batches reach `storedEnd`.
 */
export interface FoldBehindStored {
  storedEnd: string;
}

/**
 * Thrown when a derivation's watermark did not move to its end: another attempt on the partition began
 * after it (a worker that took the partition over), or another writer's late watermark moved it first.
 * Nothing may be committed past what is folded; the caller retries, and the next derivation starts
 * from the watermark as it is then (transient, docs/ARCHITECTURE.md "A late watermark").
 */
export class FoldSuperseded extends Error {
  constructor(topic: string, partition: number, from: bigint, to: bigint, watermark: string) {
    super(
      `fold of ${topic}:${partition} [${from}, ${to}) superseded: the watermark is ${watermark}, ` +
        'moved by another attempt (a late write of a previous owner, or a newer fold); folding again from it',
    );
    this.name = 'FoldSuperseded';
  }
}

/** How a derivation's statements are sent. */
export interface FoldOptions {
  /** The partition's fold query_id (the sink's; see deriveRollups). */
  queryId?: string;
  /** Called before each write; throws to stop (the sink's fence: a worker that lost the partition). */
  beforeWrite?: () => void;
  /** A watermark of the partition seen before (the last fold's end): bounds the watermark's read. */
  knownWatermark?: bigint;
}

/** One attempt to fold [from, to) of a partition, as recorded in rollup_fold_intents. */
export interface FoldAttempt {
  topic: string;
  partition: number;
  from: bigint;
  to: bigint;
  attemptId: string;
}

/**
 * The partition's watermark: every offset below it is folded (0: nothing yet). `atLeast`, a watermark
 * seen before (watermarks only grow), bounds the read to the rows at or above it: the table has a row
 * per fold (~1 M a partition in a school year at the 5 s fold interval) ordered by (topic, partition,
 * derived_to), so that is a primary-key range read of a few rows instead of the partition's history
 * (measured on 3 M rows: 42-78 ms a read unbounded, docs/BENCHMARKS.md).
 */
export async function watermarkOf(
  ch: ClickHouseClient,
  topic: string,
  partition: number,
  atLeast = 0n,
): Promise<bigint> {
  const [mark] = await queryRows<{ w: string }>(
    ch,
    `SELECT toString(${watermarkFrom(topic, partition, atLeast)}) AS w`,
  );
  const w = BigInt(mark?.w ?? '0');
  // Nothing at or above `atLeast`: only if the table was emptied since it was seen; read it all.
  return w === 0n && atLeast > 0n ? watermarkOf(ch, topic, partition) : w;
}

/**
 * SQL: the partition's watermark, as a scalar subquery read from the rows at or above `atLeast`. For
 * `= W` checks with atLeast = W it is exact: the maximum of all rows is W exactly when that of the rows
 * at or above W is.
 */
const watermarkFrom = (topic: string, partition: number, atLeast: bigint) =>
  `(SELECT max(derived_to) FROM rollup_watermarks WHERE ${partitionIs(topic, partition)} AND derived_to >= ${sqlNumber(atLeast)})`;

/**
 * Folds the events of one Kafka partition stored below `upTo` (the end of a batch just stored, or of
 * committed batches whose fold was put off) and not folded yet into the three rollups.
 *
 * Range [W, upTo): W = the partition's watermark. The caller has stored every event of its batch, and
 * every earlier batch was stored before its offset was committed, so every offset below `upTo` that
 * will ever be stored is stored now: the range is final. (Folding to the highest *stored* offset instead
 * would skip offsets that a previous owner left unstored above a shorter batch.) The attempt is
 * recorded first (recordFoldAttempt); each level gets one INSERT ... SELECT whose rows are keyed by
 * their cell and W; the watermark is written last, only if this attempt is still the partition's last
 * (moveWatermark). A crash anywhere in between leaves the watermark at W, and the next derivation (same
 * W, an end ≥ upTo, a superset of rows) replaces those rows (ReplacingMergeTree(range_end), read with
 * FINAL): nothing is counted twice or lost, whether our worker or ClickHouse dies. Returns null when
 * nothing is new; throws FoldSuperseded when the watermark did not move to `upTo`.
 *
 * That replacement needs the next derivation's end to reach the dead one's, whose rows (a higher
 * version) would otherwise stay and overlap the next range. The dead one stored everything below its
 * end before folding, so a derivation only runs once `upTo` reaches every offset stored at or above W;
 * otherwise it returns FoldBehindStored (a new owner whose first batches are shorter than what its
 * predecessor stored, say, after a crash with batches put off: `FoldSchedule`).
 *
 * `queryId` (the sink passes one per partition): every write of the derivation carries it, so
 * ClickHouse runs one at a time per partition, also against a late statement of a previous owner
 * (a second is refused while one runs, and retried). Each statement's guards are then read and acted
 * on with no other write of the partition in between.
 */
export async function deriveRollups(
  ch: ClickHouseClient,
  topic: string,
  partition: number,
  upTo: bigint,
  o: FoldOptions = {},
): Promise<Derivation | FoldBehindStored | null> {
  const from = await watermarkOf(ch, topic, partition, o.knownWatermark);
  if (upTo <= from) return null;
  // A primary-key range read of usage_events: only what is stored above the watermark.
  const [stored] = await queryRows<{ n: string; end: string }>(
    ch,
    `SELECT toString(count()) AS n, toString(max(kafka_offset) + 1) AS end FROM usage_events
     WHERE ${partitionIs(topic, partition)} AND kafka_offset >= ${sqlNumber(from)}`,
  );
  if (Number(stored?.n ?? 0) > 0 && BigInt(stored!.end) > upTo) return { storedEnd: stored!.end };
  const attempt = await recordFoldAttempt(ch, topic, partition, from, upTo, o);
  await foldRange(ch, topic, partition, from, upTo, o);
  await moveWatermark(ch, attempt, o);
  return { from: from.toString(), to: upTo.toString() };
}

/** Records an attempt to fold [from, to), numbered after the partition's last one. */
export async function recordFoldAttempt(
  ch: ClickHouseClient,
  topic: string,
  partition: number,
  from: bigint,
  to: bigint,
  o: FoldOptions = {},
): Promise<FoldAttempt> {
  const attemptId = randomUUID();
  o.beforeWrite?.();
  await ch.command({
    query: `INSERT INTO rollup_fold_intents (kafka_topic, kafka_partition, attempt, attempt_id, range_start, range_end, intended_at)
     SELECT ${sqlString(topic)}, ${sqlNumber(partition)},
            (SELECT max(attempt) FROM rollup_fold_intents WHERE ${partitionIs(topic, partition)}) + 1,
            ${sqlString(attemptId)}, ${sqlNumber(from)}, ${sqlNumber(to)}, now()`,
    query_id: o.queryId,
  });
  return { topic, partition, from, to, attemptId };
}

/**
 * Writes the watermark `attempt.to` if the watermark is still `attempt.from`, no attempt on the
 * partition began after this one, and nothing is stored at or beyond `to`; then reads it back: anything
 * but `to` throws FoldSuperseded. (A watermark moved under a running derivation would make its
 * remaining levels' INSERTs add nothing while the next derivation starts after them: those levels would
 * lose the range. An attempt of a previous owner recorded late is the last one, but its fold is shorter
 * than what the new owner stored and folded from the same start with a higher version, which would
 * stay and overlap the next range: the stored offsets beyond its end refuse it.)
 */
export async function moveWatermark(ch: ClickHouseClient, attempt: FoldAttempt, o: FoldOptions = {}): Promise<void> {
  const { topic, partition, from, to } = attempt;
  const at = partitionIs(topic, partition);
  o.beforeWrite?.();
  await ch.command({
    query: `INSERT INTO rollup_watermarks (kafka_topic, kafka_partition, derived_to, derived_at)
     SELECT ${sqlString(topic)}, ${sqlNumber(partition)}, ${sqlNumber(to)}, now() FROM system.one
     WHERE ${watermarkFrom(topic, partition, from)} = ${sqlNumber(from)}
       AND (SELECT max(attempt) FROM rollup_fold_intents WHERE ${at})
         = (SELECT max(attempt) FROM rollup_fold_intents WHERE ${at} AND attempt_id = ${sqlString(attempt.attemptId)})
       AND (SELECT count() FROM usage_events WHERE ${at} AND kafka_offset >= ${sqlNumber(to)}) = 0`,
    query_id: o.queryId,
  });
  const now = await watermarkOf(ch, topic, partition, from);
  if (now !== to) throw new FoldSuperseded(topic, partition, from, to, now.toString());
}

/**
 * Writes the rollup rows of offsets [from, to) of one partition, without moving the watermark, if the
 * watermark is still `from` when each statement runs. Each offset is read once, in its current version
 * (`currentEventsIn`), so a row stored twice would still be counted once.
 */
export async function foldRange(
  ch: ClickHouseClient,
  topic: string,
  partition: number,
  from: bigint,
  to: bigint,
  o: FoldOptions = {},
): Promise<void> {
  for (const level of ALL_LEVELS) await foldLevel(ch, level, topic, partition, from, to, o);
}

/** foldRange's INSERT of one level. */
export async function foldLevel(
  ch: ClickHouseClient,
  levelName: RollupLevel,
  topic: string,
  partition: number,
  from: bigint,
  to: bigint,
  o: FoldOptions = {},
): Promise<void> {
  const level = ROLLUP_LEVELS[levelName];
  const onePerOffset = currentEventsIn(topic, partition, from, to);
  // Checked by the server when the statement runs: a fold sent long ago (by a worker that has lost the
  // partition since) adds nothing once the watermark has moved past its start.
  const stillFrom = `${watermarkFrom(topic, partition, from)} = ${sqlNumber(from)}`;
  o.beforeWrite?.();
  await ch.command({
    query: `INSERT INTO ${level.parts} ${partsColumns(level.keys)}
       SELECT ${level.keys}, kafka_topic, kafka_partition,
              toUInt64(${sqlNumber(from)}) AS range_start, toUInt64(${sqlNumber(to)}) AS range_end,
              ${STATES}
       FROM ${onePerOffset} WHERE ${level.eventFilter} AND ${stillFrom}
       GROUP BY ${level.keys}, kafka_topic, kafka_partition`,
    query_id: o.queryId,
  });
}

/** The folded ranges [from, to) of one partition, in order, as its watermarks recorded them. */
export async function derivedRanges(
  ch: ClickHouseClient,
  topic: string,
  partition: number,
): Promise<{ from: bigint; to: bigint }[]> {
  const marks = await queryRows<{ to: string }>(
    ch,
    `SELECT DISTINCT toString(derived_to) AS to FROM rollup_watermarks
     WHERE ${partitionIs(topic, partition)} ORDER BY derived_to`,
  );
  const ranges: { from: bigint; to: bigint }[] = [];
  let from = 0n;
  for (const m of marks) {
    const to = BigInt(m.to);
    if (to > from) ranges.push({ from, to });
    from = to;
  }
  return ranges;
}

/**
 * Months retention dropped from usage_events (`retention_drops`) and no longer there: their events are
 * gone, not moved, so a re-fold keeps their cells' rows instead of writing empty states over them. A
 * month whose drop was begun but failed still has its events and is re-folded like any other.
 */
const DROPPED_MONTHS = `(SELECT partition_id FROM retention_drops WHERE table_name = 'usage_events'
  AND partition_id NOT IN (SELECT partition_id FROM system.parts
                           WHERE database = currentDatabase() AND table = 'usage_events' AND active))`;

/**
 * Folds again a range [from, to) that was already derived (its end is a recorded watermark), after some
 * of its events got a new version (docs/ARCHITECTURE.md "Late roster"). Each level gets one INSERT with
 * a row for every cell of the range's current events and, for every cell the range had before and has
 * no longer, a row of empty states; all with the range's key (range_start = from) and version
 * range_end = to. ReplacingMergeTree keeps the last inserted of equal versions, so these rows replace
 * the earlier contribution of the range cell by cell; cells of months retention dropped get no row and
 * keep theirs (`DROPPED_MONTHS`). The watermark does not move: the sink never
 * writes this range again (it only folds from the watermark up). Repeating it writes the same rows.
 */
export async function refoldRange(
  ch: ClickHouseClient,
  topic: string,
  partition: number,
  from: bigint,
  to: bigint,
): Promise<void> {
  const at = partitionIs(topic, partition);
  const events = currentEventsIn(topic, partition, from, to);
  const start = `toUInt64(${sqlNumber(from)}) AS range_start, toUInt64(${sqlNumber(to)}) AS range_end`;
  for (const level of LEVELS) {
    await command(
      ch,
      `INSERT INTO ${level.parts} ${partsColumns(level.keys)}
       SELECT ${level.keys}, kafka_topic, kafka_partition, ${start}, ${STATES}
       FROM ${events} WHERE ${level.eventFilter}
       GROUP BY ${level.keys}, kafka_topic, kafka_partition
       UNION ALL
       SELECT ${level.keys}, kafka_topic, kafka_partition, ${start},
              events, active_users, explicit_seconds, active_minutes, unresolved_person_events, unresolved_app_events
       FROM (SELECT DISTINCT ${level.keys}, kafka_topic, kafka_partition FROM ${level.parts}
             WHERE ${at} AND range_start = ${sqlNumber(from)}) AS earlier_cells
       CROSS JOIN ${EMPTY_STATES} AS empty_states
       WHERE (${level.keys}) NOT IN (SELECT ${level.keys} FROM ${events} WHERE ${level.eventFilter})
         AND toString(toYYYYMM(local_date)) NOT IN ${DROPPED_MONTHS}`,
    );
  }
  // After the rows, so a compaction that read the range before they were written is never used.
  await invalidateCompactions(ch, `refold ${topic}:${partition} [${from}, ${to})`);
}
