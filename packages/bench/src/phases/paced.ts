import { startAggregateTimings, type AggregateTimings } from '../aggregate-timings';
import type { BenchContext } from '../context';
import { freshBodies, newSendStats, sendBodies } from '../load';
import { summarizeProbes, type LatencySummary } from '../probes';
import { joinWindows, perTenK, timedPhase, type CpuWindow } from '../proc';
import { TARGETS, fmt1, fmtInt, fmtMs, say } from '../report';
import type { BenchRig } from '../rig';
import { settleAfter, type PhaseSettle } from '../settle';
import type { BenchData } from './reset';

/** The paced phase's part of the JSON result. */
export interface PacedResult {
  targetEventsPerSecond: number;
  achievedSendEventsPerSecond: number;
  events: number;
  seconds: number;
  storedAfterLastSendSeconds: number;
  latency: LatencySummary;
  cpu: CpuWindow;
  cpuSecondsPer10kEvents: Record<string, number>;
  /** After the phase, until the merges and folds it left were done (`settleAfter`). */
  settle: PhaseSettle;
  /** The phase and its settling: what its events cost, the targets' measure. */
  cpuSecondsPer10kEventsWithSettle: Record<string, number>;
  /** The aggregate's own timings over the phase and its settling (its /metrics); null when unread. */
  aggregate: AggregateTimings | null;
}

/** The paced rate: --latency-rate, else 70 % of the measured sustained rate (rounded down to 500/s). */
export function pacedRateFor(sustained: number, latencyRate: number | undefined): number {
  if (latencyRate !== undefined) return latencyRate;
  return Math.max(500, Math.floor((TARGETS.pacedShareOfSustained * sustained) / 500) * 500);
}

/**
 * Phase 5 (skipped with --latency-seconds 0): fresh copies of the events sent at a steady rate below
 * capacity, probes alongside, so latency is measured without a backlog. `storedBefore` = events the
 * district already holds (the throughput phase's).
 */
export async function runPaced(
  ctx: BenchContext,
  data: BenchData,
  rig: BenchRig,
  sustained: number,
  storedBefore: number,
): Promise<PacedResult | undefined> {
  const { opts } = ctx;
  if (opts.latencySeconds <= 0) return undefined;
  const { pipeline, probes, counter, progress } = rig;
  const rate = pacedRateFor(sustained, opts.latencyRate);
  const events = Math.round(rate * opts.latencySeconds);
  say(
    `\n[5/9] latency: ${fmtInt(rate)} events/s for ${opts.latencySeconds} s (${fmtInt(events)} events), ${opts.probeRate} probes/s`,
  );
  probes.phase = 'paced';
  const aggregateTimings = await startAggregateTimings(ctx);
  const paced = await timedPhase(rig.sampler, async () => {
    const stats = newSendStats();
    progress.start('paced', stats, events);
    probes.startSending(opts.probeRate);
    await sendBodies(pipeline.ingestUrl, data.keys, freshBodies(data.bodies, events), {
      concurrency: opts.concurrency,
      ratePerSecond: rate,
      stats,
    });
    probes.stopSending();
    const doneAt = await counter.waitFor(storedBefore + stats.accepted, 600_000);
    progress.stop();
    return { stats, doneAt };
  });
  // At once: the merges and folds right after the last INSERTs are the phase's (the probes' wait below is not).
  const settle = await settleAfter(ctx, rig, '[5/9]');
  const aggregate = await aggregateTimings('[5/9]');
  await probes.waitAllVisible(120_000);
  const latency = summarizeProbes(probes.probes.filter((p) => p.phase === 'paced'));
  const { stats, doneAt } = paced.value;
  const achieved = stats.accepted / ((stats.lastAckAt - stats.firstSendAt) / 1000);
  say(
    `[5/9] sent at ${fmtInt(achieved)} events/s; all stored ${fmt1((doneAt - stats.lastAckAt) / 1000)} s after the last send; ` +
      `probe p50 ${fmtMs(latency.fromAckMs?.p50)}, p99 ${fmtMs(latency.fromAckMs?.p99)}`,
  );
  return {
    targetEventsPerSecond: rate,
    achievedSendEventsPerSecond: achieved,
    events: stats.accepted,
    seconds: opts.latencySeconds,
    storedAfterLastSendSeconds: (doneAt - stats.lastAckAt) / 1000,
    latency,
    cpu: paced.cpu,
    cpuSecondsPer10kEvents: perTenK(paced.cpu, stats.accepted),
    settle,
    cpuSecondsPer10kEventsWithSettle: perTenK(joinWindows(paced.cpu, settle.cpu), stats.accepted),
    aggregate,
  };
}
