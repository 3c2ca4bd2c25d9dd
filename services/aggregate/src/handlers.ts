import type { KafkaMessage } from 'kafkajs';
import {
  deadLetterSchema,
  enrichedEventSchema,
  makeDeadLetter,
  reasonFromZod,
  type DeadLetter,
} from '@edusage/contracts';
import type { ClickHouseClient } from '@edusage/clickhouse';
import { claimEvents } from './dedup';
import { deriveRollups } from './rollup-deriver';
import { deadLetterRow, monthOf, toClickHouseDateTime, usageEventRow } from './rows';

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
  prepare(topic: string, partition: number, messages: KafkaMessage[]): Promise<PreparedBatch>;
  /** Runs after a batch is stored and before its offset is committed (e.g. folding it into rollups). */
  afterStore?(topic: string, partition: number): Promise<void>;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * usage.enriched → usage_events, with source-level duplicates removed by the partition's claims in
 * ClickHouse (`claimEvents`); after each stored batch the partition's new events are folded into the rollups.
 */
export function enrichedHandler(ch: ClickHouseClient): TopicHandler {
  return {
    table: 'usage_events',
    offsetsTable: 'usage_events',
    async prepare(topic, partition, messages) {
      const storedAt = toClickHouseDateTime(new Date());
      const rejects: DeadLetter[] = [];
      const valid: {
        offset: string;
        event: ReturnType<typeof enrichedEventSchema.parse>;
      }[] = [];
      for (const m of messages) {
        const text = m.value?.toString('utf8') ?? '';
        const parsed = parseJson(text);
        const result = parsed.ok ? enrichedEventSchema.safeParse(parsed.value) : undefined;
        if (!result?.success) {
          rejects.push(
            makeDeadLetter({
              stage: 'aggregate',
              source: 'usage.enriched',
              districtId: null,
              reason: result
                ? reasonFromZod(result.error)
                : {
                    code: 'malformed_json',
                    message: 'enriched message is not JSON',
                  },
              payload: text,
              origin: `${topic}/${partition}/${m.offset}`,
            }),
          );
          continue;
        }
        valid.push({ offset: m.offset, event: result.data });
      }
      const owned = await claimEvents(
        ch,
        topic,
        partition,
        valid.map((v) => ({ key: v.event.dedup_key, localDate: v.event.local_date, offset: v.offset })),
      );
      const rows: PreparedRow[] = [];
      valid.forEach((v, i) => {
        if (!owned[i]) return;
        rows.push({
          offset: v.offset,
          month: monthOf(v.event.local_date),
          row: usageEventRow(v.event, { topic, partition, offset: v.offset }, storedAt),
        });
      });
      return { rows, rejects, duplicates: valid.length - rows.length };
    },
    async afterStore(topic, partition) {
      await deriveRollups(ch, topic, partition);
    },
  };
}

/** usage.dlq → dead_letters. A record that is not a valid dead letter is still stored, never dropped. */
export function deadLetterHandler(): TopicHandler {
  return {
    table: 'dead_letters',
    offsetsTable: 'dead_letters',
    async prepare(topic, partition, messages) {
      const now = new Date();
      const storedAt = toClickHouseDateTime(now);
      const rows = messages.map((m) => {
        const text = m.value?.toString('utf8') ?? '';
        const parsed = parseJson(text);
        const result = parsed.ok ? deadLetterSchema.safeParse(parsed.value) : undefined;
        const letter: DeadLetter = result?.success
          ? result.data
          : makeDeadLetter({
              stage: 'aggregate',
              source: 'usage.dlq',
              districtId: null,
              reason: {
                code: 'invalid_dead_letter',
                message: 'record on the dead-letter topic is not a valid dead letter',
              },
              payload: text,
              now,
            });
        const row = deadLetterRow(letter, { topic, partition, offset: m.offset }, storedAt);
        return { offset: m.offset, month: monthOf(row.failed_at), row };
      });
      return { rows, rejects: [], duplicates: 0 };
    },
  };
}
