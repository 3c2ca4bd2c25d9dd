import { clickhouseErrorCode, type ClickHouseClient } from '@edusage/clickhouse';
import { deadLetterBuilder, kafkaPosition, type DeadLetter } from '@edusage/contracts';
import type { SinkMessage } from './batch-gathering';
import type { BatchContext } from './batch-context';
import { isClickHouseDataError, PartitionRefused } from './errors';
import { partitionKey } from './fold-schedule';
import type { PreparedRow, TopicHandler } from './handlers';
import type { PartitionRows } from './insert-unstored';
import type { JoinedInserts } from './joined-inserts';
import { SINK_COLUMNS, sinkSchemaProblems } from './schema-check';
import { storedOffsetsFrom } from './stored-offsets';

/** The counts the store adds to (the worker's `SinkStats`). */
export interface RowStoreStats {
  inserted: number;
  alreadyStored: number;
}

export interface RowStoreOptions {
  ch: ClickHouseClient;
  /** Every INSERT of rows, joined with other partitions' waiting ones (joined-inserts.ts). */
  inserts: JoinedInserts;
  stats: RowStoreStats;
}

/**
 * Steps 1 and 3 of a batch (docs/ARCHITECTURE.md "Delivery guarantees"): reads what of the partition
 * is stored (checking it is the same message), inserts only the rest, and isolates the rows ClickHouse
 * refuses so the others are stored and those go to the dead-letter topic.
 */
export class RowStore {
  /** Per partition (`partitionKey`): offset → identity of what is stored at or above the last verified point. */
  private readonly verified = new Map<string, Map<string, string>>();

  constructor(private readonly opts: RowStoreOptions) {}

  /** After a rebalance nothing is known about who stored what: verify again before inserting. */
  forgetAll(): void {
    this.verified.clear();
  }

  /** Offsets below a commit point will not be seen again by this owner. */
  committed(topic: string, partition: number, next: bigint): void {
    const known = this.verified.get(partitionKey(topic, partition));
    if (known) for (const o of known.keys()) if (BigInt(o) < next) known.delete(o);
  }

  /** Stores one month's rows of a batch; returns dead letters for rows ClickHouse can never take. */
  async storeMonth(
    ctx: BatchContext,
    messages: readonly SinkMessage[],
    month: string,
    rows: PreparedRow[],
  ): Promise<MonthStored> {
    const { topic, partition, handler } = ctx;
    const key = partitionKey(topic, partition);
    return ctx.persist(`inserting into ${handler.table}`, async () => {
      const known = await this.stored(ctx, messages[0]!.offset);
      const fresh = rows.filter((r) => !known.has(r.offset));
      checkSameMessages(ctx, rows, known);
      this.opts.stats.alreadyStored += rows.length - fresh.length;
      if (fresh.length === 0) return { rejects: [], stored: [] };
      try {
        await this.insert(ctx, month, fresh);
      } catch (err) {
        // The INSERT may have reached ClickHouse before the error: find out before trying again.
        this.verified.delete(key);
        if (isClickHouseDataError(err)) return this.isolateUnstorable(ctx, messages, month, fresh, err);
        throw err;
      }
      for (const r of fresh) known.set(r.offset, identityOf(handler, r));
      this.opts.stats.inserted += fresh.length;
      ctx.log.debug({ month, rows: fresh.length }, 'inserted');
      return { rejects: [], stored: fresh.map((r) => r.offset) };
    });
  }

  /**
   * What is stored of this partition from `firstOffset` (the batch's first, once for all its months)
   * on; read again after anything uncertain.
   */
  private async stored(ctx: BatchContext, firstOffset: string): Promise<Map<string, string>> {
    const key = partitionKey(ctx.topic, ctx.partition);
    let known = this.verified.get(key);
    if (!known) {
      known = await storedOffsetsFrom(
        this.opts.ch,
        ctx.handler.offsetsTable,
        ctx.handler.identityColumn,
        ctx.topic,
        ctx.partition,
        firstOffset,
      );
      this.verified.set(key, known);
    }
    return known;
  }

  /** Stores those of one month's `rows` whose offsets are not stored yet (decided by ClickHouse, see insertUnstored). */
  private async insert(ctx: BatchContext, month: string, rows: PreparedRow[]): Promise<void> {
    const columns = SINK_COLUMNS[ctx.handler.table];
    if (!columns) throw new Error(`no known columns for table ${ctx.handler.table}`);
    await this.opts.inserts.insert({
      table: ctx.handler.table,
      columns,
      month,
      batch: {
        topic: ctx.topic,
        partition: ctx.partition,
        rows: rows.map((r) => r.row as PartitionRows['rows'][number]),
        ...(ctx.handler.storeOnly ? { storeOnly: ctx.handler.storeOnly } : {}),
      },
      fenced: ctx.fenced,
    });
  }

  /**
   * ClickHouse refused the data of an INSERT. If its tables are not what the sink expects, that is no
   * record's fault: the error goes back to `persist`. Otherwise insert the rows one by one; those
   * refused again go to the dead-letter topic with ClickHouse's message, the others are stored.
   */
  private async isolateUnstorable(
    ctx: BatchContext,
    messages: readonly SinkMessage[],
    month: string,
    rows: PreparedRow[],
    cause: unknown,
  ): Promise<MonthStored> {
    // A table changed under the sink is no record's fault: leave it to `persist`, which retries and
    // refuses the partition once the drift lasts (batch-context.ts). A TsvValueError is the rows' own.
    if (clickhouseErrorCode(cause) !== undefined && (await sinkSchemaProblems(this.opts.ch, ctx.stopped)).length > 0)
      throw cause;
    ctx.log.warn({ err: (cause as Error).message }, 'ClickHouse refused rows: storing them one by one');
    const known = await this.stored(ctx, messages[0]!.offset);
    const byOffset = new Map(messages.map((m) => [m.offset, m]));
    const letters: DeadLetter[] = [];
    const refused: PreparedRow[] = [];
    const stored: string[] = [];
    const deadLetter = deadLetterBuilder({ stage: 'aggregate', source: ctx.topic, districtId: null });
    for (const r of rows) {
      if (known.has(r.offset)) continue;
      try {
        await this.insert(ctx, month, [r]);
      } catch (err) {
        this.verified.delete(partitionKey(ctx.topic, ctx.partition));
        if (!isClickHouseDataError(err)) throw err;
        const text = byOffset.get(r.offset)?.value?.toString('utf8') ?? '';
        refused.push(r);
        letters.push(
          deadLetter({
            reason: { code: 'rejected_by_clickhouse', message: (err as Error).message.slice(0, 500) },
            payload: text,
            origin: kafkaPosition(ctx.topic, ctx.partition, r.offset),
          }),
        );
        continue;
      }
      known.set(r.offset, identityOf(ctx.handler, r));
      this.opts.stats.inserted += 1;
      stored.push(r.offset);
    }
    // Before the letters go and the batch commits: a crash in between refuses the same rows again.
    if (refused.length > 0) await ctx.handler.refused?.(ctx.topic, ctx.partition, refused);
    return { rejects: letters, stored };
  }
}

/** What one month's INSERT of a batch did. */
export interface MonthStored {
  /** Rows ClickHouse refused, as dead letters. */
  rejects: DeadLetter[];
  /**
   * Offsets whose rows this call stored (not those found stored by a re-read). A joined statement
   * that failed and landed after all, before its batches were sent again alone, has its rows counted
   * here (and in the timings and `inserted`) though the re-send stored none: rare, and only figures.
   */
  stored: string[];
}

/**
 * A stored row whose identity differs from the message now at its offset: the offsets started over
 * (topic deleted and created again, or reset). Skipping would drop the new message, storing it would
 * count the offset twice: refuse.
 */
function checkSameMessages(ctx: BatchContext, rows: PreparedRow[], known: Map<string, string>): void {
  for (const r of rows) {
    const stored = known.get(r.offset);
    if (stored !== undefined && stored !== identityOf(ctx.handler, r)) {
      throw new PartitionRefused(
        `offset ${r.offset} of ${ctx.topic}/${ctx.partition} is already stored with a different event ` +
          `(${ctx.handler.identityColumn} ${stored}, now ${identityOf(ctx.handler, r)}): the topic was deleted ` +
          'and created again, or its offsets were reset. Move the old rows of this topic away ' +
          '(docs/ARCHITECTURE.md "Delivery guarantees") and restart; nothing was skipped or committed.',
      );
    }
  }
}

function identityOf(handler: TopicHandler, row: PreparedRow): string {
  return String((row.row as Record<string, unknown>)[handler.identityColumn] ?? '');
}

/** A batch's rows by ClickHouse month partition: one INSERT each writes one part. */
export function groupByMonth(rows: PreparedRow[]): Map<string, PreparedRow[]> {
  const groups = new Map<string, PreparedRow[]>();
  for (const r of rows) {
    const list = groups.get(r.month);
    if (list) list.push(r);
    else groups.set(r.month, [r]);
  }
  return groups;
}
