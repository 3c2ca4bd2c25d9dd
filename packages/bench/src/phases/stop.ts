import { readFileSync } from 'node:fs';
import { queryRows } from '@edusage/clickhouse';
import path from 'node:path';
import { serviceOf } from '@edusage/demo';
import { PROBE_DISTRICT, serviceProcesses, type BenchContext } from '../context';
import { memoryPeaksByProcess, type MemoryPeaks } from '../memory';
import { readProbeHops, summarizeHops, type HopSummary } from '../probe-hops';
import { profilesByService, summarizeProfile, type ProfileSummary } from '../profile';
import { fmt1, fmtInt, say } from '../report';
import type { BenchRig } from '../rig';

interface SinkStats {
  batches: number;
  inserted: number;
  duplicates: number;
  /** INSERT statements of rows, and the partition batches (per month) they carried (joined-inserts.ts). */
  inserts: number;
  insertedBatches: number;
}

export interface StopResult {
  profiles?: Record<string, ProfileSummary>;
  memory: {
    peakRssBytes: Record<string, number>;
    vmHwmBytes: Record<string, number>;
    /** With --memory: each service's peaks from its own samples. */
    byProcess?: Record<string, MemoryPeaks>;
  };
  sink: Partial<SinkStats> & { avgRowsPerPartitionBatch: number; batchesPerInsert: number; rollupFolds: number | null };
  /** Where the probes' latency went, per phase (`load`, `paced`): null when no probe's records were found. */
  probeHops: Record<string, HopSummary | null>;
}

/**
 * Phase 6: stops the instruments and the services (graceful, so the profiles and the sink's last
 * stats are written), then reads peak memory, the CPU profiles (--profile) and the sink's batch size.
 */
export async function stopServices(ctx: BenchContext, rig: BenchRig): Promise<StopResult> {
  rig.sampler.stop();
  await rig.probes.stopPolling();
  rig.counter.stop();
  const processes = serviceProcesses(ctx.opts.replicas);
  const servicePids = Object.fromEntries(processes.map((n) => [n, rig.pipeline.pid(n)]));
  await rig.pipeline.stopAll();
  let profiles: Record<string, ProfileSummary> | undefined;
  if (ctx.opts.profile) {
    profiles = {};
    for (const [name, file] of Object.entries(profilesByService(rig.profileDir, servicePids))) {
      profiles[name] = summarizeProfile(file);
    }
    printProfiles(profiles);
  }
  const byProcess = ctx.opts.memory ? memoryPeaksByProcess(rig.memoryDir, servicePids) : undefined;
  const aggregates = processes.filter((n) => serviceOf(n) === 'aggregate');
  const sinkStats = sumSinkStats(aggregates.map((n) => lastSinkStats(path.join(rig.logDir, `${n}.log`))));
  const rowsPerInsert = sinkStats && sinkStats.batches > 0 ? sinkStats.inserted / sinkStats.batches : NaN;
  // Every fold with something new writes one watermark row (AGGREGATE_FOLD_INTERVAL_MS puts folds off under a backlog).
  const rollupFolds = await queryRows<{ n: string }>(rig.db, 'SELECT toString(count()) AS n FROM rollup_watermarks')
    .then((r) => Number(r[0]?.n ?? 0))
    .catch(() => null);
  const batchesPerInsert = sinkStats && sinkStats.inserts > 0 ? sinkStats.insertedBatches / sinkStats.inserts : NaN;
  say(
    `\n[6/9] services stopped; aggregate wrote ${sinkStats ? fmtInt(rowsPerInsert) : 'n/a'} rows per partition batch on average` +
      `, ${sinkStats ? fmtInt(sinkStats.batches) : 'n/a'} batches folded in ${rollupFolds ?? 'n/a'} rollup folds` +
      `, ${sinkStats ? fmtInt(sinkStats.inserts) : 'n/a'} INSERTs of rows carrying ${sinkStats ? fmt1(batchesPerInsert) : 'n/a'} partition batches each`,
  );
  const probeHops = await probeHopsByPhase(ctx, rig);
  return {
    ...(profiles ? { profiles } : {}),
    memory: { peakRssBytes: rig.sampler.peakRss, vmHwmBytes: rig.sampler.hwm, ...(byProcess ? { byProcess } : {}) },
    sink: { ...sinkStats, avgRowsPerPartitionBatch: rowsPerInsert, batchesPerInsert, rollupFolds },
    probeHops,
  };
}

/** The probes' records on usage.raw and usage.enriched, read now that nothing else loads the machine. */
async function probeHopsByPhase(ctx: BenchContext, rig: BenchRig): Promise<Record<string, HopSummary | null>> {
  const t = Date.now();
  const { probes } = rig.probes;
  let found: number;
  try {
    found = await readProbeHops(ctx.kafka, ctx.topics, probes, PROBE_DISTRICT);
  } catch (err) {
    // An instrument: the run's measures stand without it.
    say(`[6/9] could not read the probes' records (${(err as Error).message}): no split of their latency`);
    return {};
  }
  say(
    `[6/9] found ${fmtInt(found)} of ${fmtInt(probes.length)} probes' records on ${ctx.topics.raw} and ${ctx.topics.enriched} in ${fmt1((Date.now() - t) / 1000)} s`,
  );
  const ofPhase = (phase: string) => summarizeHops(probes.filter((p) => p.phase === phase));
  return { load: ofPhase('load'), ...(ctx.opts.latencySeconds > 0 ? { paced: ofPhase('paced') } : {}) };
}

/** The replicas' stats added up; null when one of them logged none (a partial sum would mislead). */
function sumSinkStats(all: (SinkStats | null)[]): SinkStats | null {
  if (all.some((x) => x === null)) return null;
  return (all as SinkStats[]).reduce((a, b) => ({
    batches: a.batches + b.batches,
    inserted: a.inserted + b.inserted,
    duplicates: a.duplicates + b.duplicates,
    inserts: a.inserts + b.inserts,
    insertedBatches: a.insertedBatches + b.insertedBatches,
  }));
}

/** The sink's last logged stats ({batches, inserted, ...}), from its "sink stopped" / "sink progress" lines. */
function lastSinkStats(logFile: string): SinkStats | null {
  try {
    const lines = readFileSync(logFile, 'utf8').trim().split('\n').reverse();
    for (const line of lines) {
      if (!line.includes('"stats"')) continue;
      const parsed = JSON.parse(line) as { stats?: SinkStats };
      if (parsed.stats) return parsed.stats;
    }
  } catch {
    // no log: no figure
  }
  return null;
}

function printProfiles(profiles: Record<string, ProfileSummary>): void {
  for (const [name, p] of Object.entries(profiles)) {
    say(`\nprofile ${name}: ${fmt1(p.busySeconds)} busy CPU s (whole process life) — ${p.file}`);
    say(
      '  by owner:   ' +
        p.byModule
          .slice(0, 7)
          .map((m) => `${m.module} ${(m.share * 100).toFixed(0)}%`)
          .join(', '),
    );
    say(
      '  functions:  ' +
        p.topFunctions
          .slice(0, 8)
          .map((f) => `${f.fn} (${f.where}) ${(f.share * 100).toFixed(1)}%`)
          .join('\n              '),
    );
  }
}
