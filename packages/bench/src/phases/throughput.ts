import { startAggregateTimings, type AggregateTimings } from '../aggregate-timings';
import type { BenchContext } from '../context';
import { newSendStats, sendBodies, type SendStats } from '../load';
import { summarizeProbes, type LatencySummary } from '../probes';
import { joinWindows, perTenK, timedPhase, type CpuWindow } from '../proc';
import { fmt1, fmtInt, say } from '../report';
import type { BenchRig } from '../rig';
import { settleAfter, type PhaseSettle } from '../settle';
import type { BenchData } from './reset';

/** The throughput phase's part of the JSON result. */
export interface ThroughputResult {
  events: number;
  requests: number;
  rejected: number;
  firstSendToAllStoredSeconds: number;
  sustainedEventsPerSecond: number;
  ingestAcceptEventsPerSecond: number;
  steadyStateStoredEventsPerSecond10to90: number;
  latencyUnderSaturation: LatencySummary;
  cpu: CpuWindow;
  cpuSecondsPer10kEvents: Record<string, number>;
  /** After the phase, until the merges and folds it left were done (`settleAfter`). */
  settle: PhaseSettle;
  /** The phase and its settling: what its events cost, the targets' measure. */
  cpuSecondsPer10kEventsWithSettle: Record<string, number>;
  /** The aggregate's own timings over the phase and its settling (its /metrics); null when unread. */
  aggregate: AggregateTimings | null;
}

/**
 * Phase 4: every body sent as fast as ingest takes them, with probes at --probe-rate; sustained =
 * accepted events ÷ (first send → the district's stored count reaches them).
 */
export async function runThroughput(
  ctx: BenchContext,
  data: BenchData,
  rig: BenchRig,
): Promise<{ result: ThroughputResult; stats: SendStats }> {
  const { opts } = ctx;
  const { pipeline, probes, counter, progress } = rig;
  say(
    `\n[4/9] throughput: sending ${fmtInt(data.totalEvents)} events as fast as ingest takes them (${opts.concurrency} connections), ${opts.probeRate} probes/s`,
  );
  probes.phase = 'load';
  const aggregateTimings = await startAggregateTimings(ctx);
  const load = await timedPhase(rig.sampler, async () => {
    const stats = newSendStats();
    progress.start('load', stats, data.totalEvents);
    probes.startSending(opts.probeRate);
    await sendBodies(pipeline.ingestUrl, data.keys, data.bodies, { concurrency: opts.concurrency, stats });
    const storedAt = await counter.waitFor(stats.accepted, 600_000);
    probes.stopSending();
    progress.stop();
    return { stats, storedAt };
  });
  // At once: the merges and folds right after the last INSERTs are the phase's (the probes' wait below is not).
  const settle = await settleAfter(ctx, rig, '[4/9]');
  const aggregate = await aggregateTimings('[4/9]');
  const { stats, storedAt } = load.value;
  if (stats.accepted !== data.totalEvents)
    say(`      note: ${data.totalEvents - stats.accepted} events were not accepted`);
  const e2eSeconds = (storedAt - stats.firstSendAt) / 1000;
  const sustained = stats.accepted / e2eSeconds;
  const ingestRate = stats.accepted / ((stats.lastAckAt - stats.firstSendAt) / 1000);
  const steady = counter.steadyRate(stats.accepted, 0.1, 0.9, 0);
  await probes.waitAllVisible(120_000);
  const latency = summarizeProbes(probes.probes.filter((p) => p.phase === 'load'));
  say(
    `[4/9] stored ${fmtInt(stats.accepted)} events ${fmt1(e2eSeconds)} s after the first send: ${fmtInt(sustained)} events/s end to end ` +
      `(ingest accepted them at ${fmtInt(ingestRate)}/s; stored 10%→90% at ${fmtInt(steady)}/s)`,
  );
  return {
    stats,
    result: {
      events: stats.accepted,
      requests: stats.requests,
      rejected: stats.rejected,
      firstSendToAllStoredSeconds: e2eSeconds,
      sustainedEventsPerSecond: sustained,
      ingestAcceptEventsPerSecond: ingestRate,
      steadyStateStoredEventsPerSecond10to90: steady,
      latencyUnderSaturation: latency,
      cpu: load.cpu,
      cpuSecondsPer10kEvents: perTenK(load.cpu, stats.accepted),
      settle,
      cpuSecondsPer10kEventsWithSettle: perTenK(joinWindows(load.cpu, settle.cpu), stats.accepted),
      aggregate,
    },
  };
}
