import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows, command } from './query';
import { sqlString } from './escape';

export interface DeletionWaitOptions {
  /** How long to wait for ClickHouse to finish the deletion before giving up (it goes on in the background). */
  timeoutMs?: number;
  pollMs?: number;
  /** Called while waiting, with the data parts ClickHouse still has to rewrite. */
  onWaiting?: (partsToDo: number) => void;
}

/**
 * Rows were still there at the timeout: the deletion was asked for (`asked`; ClickHouse goes on with it),
 * or an earlier deletion of the table was still running all along, so this one was not asked yet.
 */
export class DeletionPendingError extends Error {
  constructor(
    readonly table: string,
    readonly left: number,
    readonly partsToDo: number,
    readonly failure: string | null,
    readonly timeoutMs: number,
    readonly asked: boolean,
  ) {
    super(
      `${left} row(s) of ${table} are still stored after ${Math.round(timeoutMs / 1000)} s ` +
        `(ClickHouse has ${partsToDo} data part(s) to rewrite${failure ? `; it last failed with: ${failure}` : ''})` +
        (asked
          ? ''
          : `: an earlier deletion of ${table} was still running, so this one was not asked yet ` +
            '(system.mutations shows it; one that keeps failing blocks every later one until it is killed)'),
    );
    this.name = 'DeletionPendingError';
  }
}

/**
 * Deletes rows with `ALTER TABLE … DELETE WHERE` (a ClickHouse mutation: the only deletion 18.16 has, and
 * the same statement on current versions), then waits until `left()` counts none of them. The count
 * decides; the table's unfinished mutations only give the progress, and on current versions why a part
 * failed. Mutations are asynchronous, so without this wait a reader could still see the rows.
 *
 * A deletion of the table still running (one asked by a run that gave up waiting) is waited for first,
 * and the rows counted again, before another is asked: each mutation rewrites every part of the table,
 * so runs repeated while one is slow must not pile them up.
 */
export async function deleteAndWait(
  ch: ClickHouseClient,
  table: string,
  where: string,
  left: () => Promise<number>,
  opts: DeletionWaitOptions = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const deadline = Date.now() + timeoutMs;
  let asked = false;
  for (;;) {
    const remaining = await left();
    if (remaining === 0) return;
    const pending = await unfinishedMutations(ch, table);
    const partsToDo = pending.reduce((n, m) => n + m.parts_to_do, 0);
    if (!asked && pending.length === 0) {
      // Counted again: an earlier deletion may have ended between the two reads and taken the rows.
      if ((await left()) === 0) return;
      await command(ch, `ALTER TABLE ${table} DELETE WHERE ${where}`);
      asked = true;
      continue;
    }
    if (Date.now() > deadline) {
      const failure = pending.map((m) => m.latest_fail_reason).find((r) => r) ?? null;
      throw new DeletionPendingError(table, remaining, partsToDo, failure, timeoutMs, asked);
    }
    opts.onWaiting?.(partsToDo);
    await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 250));
  }
}

/** The table's unfinished mutations (`latest_fail_reason` exists on current versions only, not on 18.16). */
async function unfinishedMutations(
  ch: ClickHouseClient,
  table: string,
): Promise<{ parts_to_do: number; latest_fail_reason?: string }[]> {
  const rows = await queryRows<{ parts_to_do: number | string; latest_fail_reason?: string }>(
    ch,
    `SELECT * FROM system.mutations WHERE database = currentDatabase() AND table = ${sqlString(table)} AND is_done = 0`,
  );
  return rows.map((r) => ({
    parts_to_do: Number(r.parts_to_do),
    ...(r.latest_fail_reason ? { latest_fail_reason: r.latest_fail_reason } : {}),
  }));
}
