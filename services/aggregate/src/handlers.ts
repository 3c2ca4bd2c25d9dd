import {
  deadLetterBuilder,
  deadLetterSchema,
  enrichedEventSchema,
  kafkaPosition,
  parseJsonPayload,
  reasonFromZod,
  stageDeadLetter,
  stageOk,
  type DeadLetter,
  type EnrichedEvent,
  type StageResult,
} from '@edusage/contracts';
import type { ClickHouseClient } from '@edusage/clickhouse';
import type { SinkMessage } from './batch-gathering';
import { claimEvents, refuseClaims } from './dedup';
import { PermanentError } from './errors';
import { deriveRollups, type FoldOptions } from './rollup-deriver';
import { deadLetterRow, monthOf, toClickHouseDateTime, usageEventRow, type UsageEventRow } from './rows';

export interface PreparedRow {
  offset: string;
  month: string;
  row: object;
}

export interface PreparedBatch {
  rows: PreparedRow[];
  /** Messages refused here, to be sent to the dead-letter topic. */
  rejects: DeadLetter[];
  /** Events skipped because another message already owns their identity. */
  duplicates: number;
}

/** How the messages of one topic become rows of one table. */
export interface TopicHandler {
  /** The table rows go to. */
  table: string;
  /** The table whose Kafka coordinates say what is already stored. */
  offsetsTable: string;
  /**
   * A column of `offsetsTable` that is a function of the message alone: a stored row whose value differs
   * from the message now at its offset means the topic was recreated (docs/ARCHITECTURE.md).
   */
  identityColumn: string;
  /**
   * A condition on the rows, checked by ClickHouse in the INSERT itself: rows that fail it are not
   * stored (their offsets count as handled; a redelivery is checked again).
   */
  storeOnly?: string;
  prepare(topic: string, partition: number, messages: readonly SinkMessage[]): Promise<PreparedBatch>;
  /**
   * Folds what is stored below `batchEnd` (one past a batch's last offset) into the rollups, after the
   * batch is stored and before its offset is committed; `FoldSchedule` may leave a batch to a later one.
   * False: not folded yet, because more is stored beyond `batchEnd` (`deriveRollups`); the batch waits,
   * uncommitted, for a later one. `fold`: the partition's fold query_id and the batch's fence (deriveRollups).
   */
  afterStore?(topic: string, partition: number, batchEnd: bigint, fold: FoldOptions): Promise<boolean>;
  /**
   * Rows ClickHouse refused (sent to the dead letters, `RowStore`): whatever `prepare` recorded for them
   * as stored must say otherwise (the enriched events' claims), before the batch commits.
   */
  refused?(topic: string, partition: number, rows: readonly PreparedRow[]): Promise<void>;
}

/** Rows of people not erased at their district's request (docs/ARCHITECTURE.md "Erasing a person"). */
export const NOT_ERASED = `(district_id, person_id) NOT IN (SELECT district_id, arrayJoin(person_ids) FROM person_erasures)`;

/**
 * usage.enriched → usage_events, with source-level duplicates removed by the partition's claims in
 * ClickHouse (`claimEvents`); after each stored batch the partition's new events are folded into the rollups.
 */
export function enrichedHandler(ch: ClickHouseClient): TopicHandler {
  // Per partition, the end of the last fold made here: a watermark seen, which only grows, so it
  // bounds the next fold's read of the watermark (deriveRollups' knownWatermark).
  const folded = new Map<string, bigint>();
  return {
    table: 'usage_events',
    offsetsTable: 'usage_events',
    identityColumn: 'dedup_key',
    // Erased people (docs/ARCHITECTURE.md "Erasing a person"): enrich drops their events once it has the
    // list; this catches what it enriched before, whatever the timing, and a replay of old offsets.
    storeOnly: NOT_ERASED,
    async prepare(topic, partition, messages) {
      const storedAt = toClickHouseDateTime(new Date());
      const deadLetter = deadLetterBuilder({ stage: 'aggregate', source: 'usage.enriched', districtId: null });
      const rejects: DeadLetter[] = [];
      const valid: ValidEnriched[] = [];
      for (const m of messages) {
        const text = m.value?.toString('utf8') ?? '';
        const { result, districtId } = judgeEnriched(text, { topic, partition, offset: m.offset }, storedAt);
        // The one place a message is routed (enriched events carry no skips).
        if (result.kind === 'ok') valid.push(result.value);
        else if (result.kind === 'dead_letter') {
          rejects.push(
            deadLetter({
              reason: result.reason,
              payload: result.payload,
              origin: kafkaPosition(topic, partition, m.offset),
              districtId,
            }),
          );
        }
      }
      const owned = await claimEvents(
        ch,
        topic,
        partition,
        valid.map((v) => ({ key: v.key, localDate: v.localDate, offset: v.offset })),
      );
      const rows: PreparedRow[] = [];
      valid.forEach((v, i) => {
        if (!owned[i]) return;
        rows.push({
          offset: v.offset,
          month: monthOf(v.localDate),
          row: v.row,
        });
      });
      return { rows, rejects, duplicates: valid.length - rows.length };
    },
    async refused(topic, partition, rows) {
      await refuseClaims(
        ch,
        topic,
        partition,
        rows.map((r) => {
          const row = r.row as UsageEventRow;
          return { key: row.dedup_key, localDate: row.local_date, offset: r.offset };
        }),
      );
    },
    async afterStore(topic, partition, batchEnd, fold) {
      const key = `${topic}:${partition}`;
      const derived = await deriveRollups(ch, topic, partition, batchEnd, {
        ...fold,
        knownWatermark: folded.get(key),
      });
      if (derived !== null && 'to' in derived) folded.set(key, BigInt(derived.to));
      return derived === null || !('storedEnd' in derived);
    },
  };
}

/**
 * What a valid message leaves for the rest of its batch: its row and the two fields its claim needs.
 * Not the parsed event: a gathered batch holds thousands of these until its claims are read, and the
 * parsed and validated objects kept that long would be promoted to V8's old space (RSS).
 */
interface ValidEnriched {
  offset: string;
  key: EnrichedEvent['dedup_key'];
  localDate: EnrichedEvent['local_date'];
  row: ReturnType<typeof usageEventRow>;
}

/**
 * One usage.enriched message → its row, or why it can never be stored (a value the schema lets
 * through but ClickHouse cannot hold is this message's fault, for ever). `districtId` is the
 * message's district once it is a valid event, for its dead letter.
 */
function judgeEnriched(
  text: string,
  at: { topic: string; partition: number; offset: string },
  storedAt: string,
): { result: StageResult<ValidEnriched>; districtId: string | null } {
  const parsed = parseJsonPayload(text);
  if (!parsed.ok) {
    const reason = { code: 'malformed_json', message: 'enriched message is not JSON' };
    return { result: stageDeadLetter(reason, text), districtId: null };
  }
  const result = enrichedEventSchema.safeParse(parsed.value);
  if (!result.success) return { result: stageDeadLetter(reasonFromZod(result.error), text), districtId: null };
  const districtId = result.data.district_id;
  try {
    return {
      result: stageOk({
        offset: at.offset,
        key: result.data.dedup_key,
        localDate: result.data.local_date,
        row: usageEventRow(result.data, at, storedAt),
      }),
      districtId,
    };
  } catch (err) {
    if (!(err instanceof PermanentError)) throw err;
    const reason = { code: 'unstorable_value', message: err.message, ...(err.field ? { field: err.field } : {}) };
    return { result: stageDeadLetter(reason, text), districtId };
  }
}

/** usage.dlq → dead_letters. A record that is not a valid dead letter is still stored, never dropped. */
export function deadLetterHandler(): TopicHandler {
  return {
    table: 'dead_letters',
    offsetsTable: 'dead_letters',
    identityColumn: 'payload_sha256',
    async prepare(topic, partition, messages) {
      const now = new Date();
      const storedAt = toClickHouseDateTime(now);
      // A record that is not a valid dead letter is stored as one that says so, with the record as payload.
      const invalidLetter = deadLetterBuilder({
        stage: 'aggregate',
        source: 'usage.dlq',
        districtId: null,
        now: () => now,
      });
      const rows = messages.map((m) => {
        const text = m.value?.toString('utf8') ?? '';
        const result = judgeDeadLetter(text);
        const letter: DeadLetter =
          result.kind === 'ok' ? result.value : invalidLetter({ reason: result.reason, payload: text });
        const at = { topic, partition, offset: m.offset };
        const row = storableDeadLetterRow(letter, text, at, storedAt, invalidLetter);
        return { offset: m.offset, month: monthOf(row.failed_at), row };
      });
      return { rows, rejects: [], duplicates: 0 };
    },
  };
}

/** A usage.dlq record as a dead letter, or why it is not one (never a skip: every record is stored). */
function judgeDeadLetter(text: string): Exclude<StageResult<DeadLetter>, { kind: 'skip' }> {
  const parsed = parseJsonPayload(text);
  const result = parsed.ok ? deadLetterSchema.safeParse(parsed.value) : undefined;
  if (result?.success) return stageOk(result.data);
  const reason = { code: 'invalid_dead_letter', message: 'record on the dead-letter topic is not a valid dead letter' };
  return stageDeadLetter(reason, text);
}

/**
 * The row of a dead letter; one that passes the schema but cannot be stored (a failed_at that is not a
 * time) is stored as an invalid dead letter naming the field, never dropped and never retried forever.
 */
function storableDeadLetterRow(
  letter: DeadLetter,
  text: string,
  at: { topic: string; partition: number; offset: string },
  storedAt: string,
  invalidLetter: ReturnType<typeof deadLetterBuilder>,
): ReturnType<typeof deadLetterRow> {
  try {
    return deadLetterRow(letter, at, storedAt);
  } catch (err) {
    if (!(err instanceof PermanentError)) throw err;
    const replacement = invalidLetter({
      reason: { code: 'invalid_dead_letter', message: err.message, ...(err.field ? { field: err.field } : {}) },
      payload: text,
    });
    return deadLetterRow(replacement, at, storedAt);
  }
}
