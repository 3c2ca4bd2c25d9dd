import { setTimeout as sleep } from 'node:timers/promises';
import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import type { BenchContext } from './context';
import { timedPhase, type CpuWindow } from './proc';
import { fmt1, say } from './report';
import type { BenchRig } from './rig';

/** How long the pipeline took to finish what a phase gave it (`waitSettled`). */
export interface Settled {
  seconds: number;
  /** False: still busy when the time ran out (the figures then leave some of the phase's work out). */
  settled: boolean;
}

const POLL_MS = 500;

/**
 * Waits until the pipeline has finished what the last phase gave it, so that the next phase is not
 * charged for it: the aggregate's group has committed every offset of the topics it reads (it commits
 * only after folding, so the folds it put off under the backlog are done), and ClickHouse runs no
 * merge of the benchmark's database (the parts the phase's INSERTs wrote are merged). Both must hold
 * at two polls in a row, POLL_MS apart (a merge can start right after another ends).
 */
export async function waitSettled(ctx: BenchContext, db: ClickHouseClient, timeoutMs: number): Promise<Settled> {
  const admin = ctx.kafka.admin();
  await admin.connect();
  const started = Date.now();
  try {
    let quietPolls = 0;
    while (quietPolls < 2) {
      if (Date.now() - started > timeoutMs) return { seconds: (Date.now() - started) / 1000, settled: false };
      await sleep(POLL_MS);
      const quiet = (await aggregateCaughtUp(ctx, admin)) && (await mergesRunning(db)) === 0;
      quietPolls = quiet ? quietPolls + 1 : 0;
    }
    return { seconds: (Date.now() - started) / 1000, settled: true };
  } finally {
    await admin.disconnect();
  }
}

type Admin = ReturnType<BenchContext['kafka']['admin']>;

/** Every partition of the aggregate's topics committed up to its end (a partition never written has nothing to commit). */
async function aggregateCaughtUp(ctx: BenchContext, admin: Admin): Promise<boolean> {
  const topics = [ctx.topics.enriched, ctx.topics.dlq];
  const committed = await admin.fetchOffsets({ groupId: ctx.aggregateGroupId, topics });
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    const mine = committed.find((t) => t.topic === topic)?.partitions ?? [];
    for (const end of ends) {
      const at = BigInt(mine.find((p) => p.partition === end.partition)?.offset ?? '-1');
      if ((at < 0n ? BigInt(end.low) : at) < BigInt(end.high)) return false;
    }
  }
  return true;
}

/** Merges ClickHouse is running in the benchmark's database. */
async function mergesRunning(db: ClickHouseClient): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    db,
    'SELECT toString(count()) AS n FROM system.merges WHERE database = currentDatabase()',
  );
  return Number(row?.n ?? 0);
}

/** A phase's settling: how long, and what each process spent meanwhile. */
export interface PhaseSettle extends Settled {
  cpu: CpuWindow;
}

/** Longest wait for the pipeline to settle after a phase. */
const SETTLE_TIMEOUT_MS = 120_000;

/**
 * Waits for the pipeline to settle after a phase (`waitSettled`), measuring the CPU meanwhile: the
 * merges and folds the phase left are part of its cost, not the next phase's.
 */
export async function settleAfter(ctx: BenchContext, rig: BenchRig, label: string): Promise<PhaseSettle> {
  const { value, cpu } = await timedPhase(rig.sampler, () => waitSettled(ctx, rig.db, SETTLE_TIMEOUT_MS));
  say(
    value.settled
      ? `${label} settled ${fmt1(value.seconds)} s later (aggregate committed everything, no merge running): ClickHouse ${fmt1(cpu.cpuSeconds.clickhouse ?? NaN)} CPU-s meanwhile`
      : `${label} not settled after ${fmt1(value.seconds)} s (merges or folds still running): the phase's figures with its settling leave the rest out`,
  );
  return { ...value, cpu };
}
