import { setTimeout as sleep } from 'node:timers/promises';
import { clickhouseErrorCode, type ClickHouseClient } from '@edusage/clickhouse';
import { isClickHouseDataError } from './errors';
import { insertUnstored, type PartitionRows } from './insert-unstored';

/** ClickHouse's "query with this id is already running" (QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING). */
export const SAME_ID_RUNNING = '216';

/** One partition batch's rows for one month, waiting for its table's turn. */
export interface InsertRequest {
  table: string;
  /** The columns written, name → ClickHouse type (`SINK_COLUMNS`). */
  columns: Record<string, string>;
  /** The ClickHouse month partition of every row: one INSERT writes one part. */
  month: string;
  batch: PartitionRows;
  /** True once the batch must make no further write: it is then left out and rejected with `abandoned()`. */
  fenced?: () => boolean;
}

/** What the sink counts of its INSERTs (the worker's `SinkStats`). */
export interface JoinedInsertStats {
  /** INSERT statements of rows that ClickHouse took. */
  inserts: number;
  /** The partition batches those carried: above `inserts` when batches were joined. */
  insertedBatches: number;
}

export interface JoinedInsertsOptions {
  /** The client for the INSERTs (without keep-alive: `SinkWorkerOptions.rowWriter`). */
  writer: ClickHouseClient;
  /** The one query_id of every INSERT into a table, by every worker (`PartitionWrites.tableInsertId`). */
  queryId: (table: string) => Promise<string>;
  stats: JoinedInsertStats;
  /** The error a fenced request is rejected with (the worker's `BatchAbandoned`). */
  abandoned: () => Error;
  /**
   * How long an INSERT refused because another one of its table runs (another worker's, or an earlier
   * try of this one whose answer was lost) is tried again here before the refusal goes to the caller
   * (default 1 s; the caller's back-off takes over then).
   */
  sameIdRetryMs?: number;
}

interface Pending {
  request: InsertRequest;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Step 3 of a batch (docs/ARCHITECTURE.md "Delivery guarantees"; "Joined INSERTs"): at most one INSERT
 * into a table at a time, and every batch that came while one ran goes into the next, one statement
 * for all of them. Every INSERT into a table carries the same query_id, so ClickHouse also runs at
 * most one of them at a time across workers and late arrivals, and each INSERT's `NOT IN` sees what
 * every earlier one stored: no offset is stored twice however the partitions are joined.
 *
 * A joined INSERT whose data ClickHouse refuses is tried again batch by batch, so a batch learns only
 * of its own refused rows (isolated by its own batch, `RowStore`), never of a neighbour's; any other
 * failure goes back to every batch in it.
 */
export class JoinedInserts {
  private readonly waiting = new Map<string, Pending[]>();
  private readonly running = new Set<string>();

  constructor(private readonly opts: JoinedInsertsOptions) {}

  /** Resolves once ClickHouse has stored the rows of `request.batch` that were not stored yet. */
  insert(request: InsertRequest): Promise<void> {
    if (request.batch.rows.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const queue = this.waiting.get(request.table) ?? [];
      queue.push({ request, resolve, reject });
      this.waiting.set(request.table, queue);
      // drain settles every request it takes; should it fail itself, nothing it left may hang.
      this.drain(request.table).catch((err: unknown) => {
        for (const p of this.waiting.get(request.table) ?? []) p.reject(err);
        this.waiting.delete(request.table);
      });
    });
  }

  /** Runs the table's INSERTs one after another while batches wait. */
  private async drain(table: string): Promise<void> {
    if (this.running.has(table)) return;
    this.running.add(table);
    try {
      for (let next = this.takeJoinable(table); next.length > 0; next = this.takeJoinable(table)) {
        await this.run(table, next);
      }
    } finally {
      this.running.delete(table);
    }
  }

  /** Rejects `p` with `abandoned()` if its batch is fenced (a fence that throws rejects it with that). */
  private leftOut(p: Pending): boolean {
    try {
      if (!p.request.fenced?.()) return false;
      p.reject(this.opts.abandoned());
    } catch (err) {
      p.reject(err);
    }
    return true;
  }

  /**
   * The first waiting batch and every other one that can share its statement (same topic, month,
   * columns and condition, another partition); fenced ones are rejected and left out.
   */
  private takeJoinable(table: string): Pending[] {
    const queue = this.waiting.get(table) ?? [];
    const live: Pending[] = [];
    for (const p of queue) if (!this.leftOut(p)) live.push(p);
    const first = live[0];
    if (!first) {
      this.waiting.delete(table);
      return [];
    }
    // Two batches of one partition never share a statement: NOT IN looks at what is stored, not at
    // the statement's own rows, so an offset in both would be stored twice.
    const partitions = new Set<number>();
    const taken = live.filter((p) => {
      if (!joinable(first.request, p.request) || partitions.has(p.request.batch.partition)) return false;
      partitions.add(p.request.batch.partition);
      return true;
    });
    this.waiting.set(
      table,
      live.filter((p) => !taken.includes(p)),
    );
    return taken;
  }

  private async run(table: string, taken: Pending[]): Promise<void> {
    const first = taken[0]!.request;
    try {
      await this.attempt(
        table,
        first.columns,
        taken.map((p) => p.request.batch),
        () => taken.every((p) => p.request.fenced?.() === true),
      );
      this.counted(taken.length);
      for (const p of taken) p.resolve();
      return;
    } catch (err) {
      // Only refused data is one batch's fault. Anything else (a connection, a time-out, another
      // INSERT of the table still running) goes back to every batch, whose back-off retries it
      // after reading again what is stored.
      if (taken.length === 1 || !isClickHouseDataError(err)) {
        for (const p of taken) p.reject(err);
        return;
      }
    }
    // Each batch now finds out whether the refused data was its own; a joined try that landed after
    // all leaves its rows out (NOT IN). A batch fenced meanwhile is not sent again.
    for (const p of taken) {
      if (this.leftOut(p)) continue;
      try {
        await this.attempt(table, p.request.columns, [p.request.batch], () => p.request.fenced?.() === true);
        this.counted(1);
        p.resolve();
      } catch (err) {
        p.reject(err);
      }
    }
  }

  private counted(batches: number): void {
    this.opts.stats.inserts += 1;
    this.opts.stats.insertedBatches += batches;
  }

  /**
   * One INSERT, tried again for a short while if another INSERT of the table runs (code 216), unless
   * every batch in it was fenced meanwhile.
   */
  private async attempt(
    table: string,
    columns: Record<string, string>,
    batches: PartitionRows[],
    allFenced: () => boolean,
  ): Promise<void> {
    const queryId = await this.opts.queryId(table);
    const until = Date.now() + (this.opts.sameIdRetryMs ?? 1_000);
    for (;;) {
      try {
        await insertUnstored(this.opts.writer, table, columns, batches, queryId);
        return;
      } catch (err) {
        if (clickhouseErrorCode(err) !== SAME_ID_RUNNING || Date.now() >= until || allFenced()) throw err;
        await sleep(10 + Math.random() * 40);
      }
    }
  }
}

/** Whether two batches' rows can go in one statement. */
function joinable(a: InsertRequest, b: InsertRequest): boolean {
  return (
    a.month === b.month &&
    a.columns === b.columns &&
    a.batch.topic === b.batch.topic &&
    a.batch.storeOnly === b.batch.storeOnly
  );
}
