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
 * Waits until the pipeline has done what the last phase gave it, as far as can be seen, so that the
 * next phase is not charged for it: the aggregate's group has committed every offset of the topics it
 * reads (it commits only after folding, so the folds it put off under the backlog are done), and
 * ClickHouse runs no merge of the benchmark's database with its active parts unchanged, at two polls in
 * a row POLL_MS apart. A heuristic for the merges: ClickHouse may still merge some of the phase's parts
 * later (its merge task backs off for seconds when it finds nothing worth merging yet, and an INSERT
 * wakes it), and those would fall in the next phase.
 */
export async function waitSettled(ctx: BenchContext, db: ClickHouseClient, timeoutMs: number): Promise<Settled> {
  const admin = ctx.kafka.admin();
  await admin.connect();
  const started = Date.now();
  try {
    let quietPolls = 0;
    let lastParts = -1;
    while (quietPolls < 2) {
      if (Date.now() - started > timeoutMs) return { seconds: (Date.now() - started) / 1000, settled: false };
      await sleep(POLL_MS);
      const { merges, parts } = await mergeState(db);
      const quiet = merges === 0 && parts === lastParts && (await aggregateCaughtUp(ctx, admin));
      lastParts = parts;
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

/** Merges ClickHouse is running in the benchmark's database, and its active parts. */
async function mergeState(db: ClickHouseClient): Promise<{ merges: number; parts: number }> {
  const [row] = await queryRows<{ merges: string; parts: string }>(
    db,
    `SELECT toString((SELECT count() FROM system.merges WHERE database = currentDatabase())) AS merges,
            toString((SELECT count() FROM system.parts WHERE database = currentDatabase() AND active)) AS parts`,
  );
  return { merges: Number(row?.merges ?? 0), parts: Number(row?.parts ?? 0) };
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
      ? `${label} settled ${fmt1(value.seconds)} s later (aggregate committed everything, no merge running, parts unchanged): ClickHouse ${fmt1(cpu.cpuSeconds.clickhouse ?? NaN)} CPU-s meanwhile`
      : `${label} not settled after ${fmt1(value.seconds)} s (merges or folds still running): the phase's figures with its settling leave the rest out`,
  );
  return { ...value, cpu };
}
