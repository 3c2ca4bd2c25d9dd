import { consumerLag } from '@edusage/kafka';
import { membersOf, type BenchContext } from './context';
import type { SendStats } from './load';
import type { ProbeRunner } from './probes';
import { cpuWindow, type ProcessSampler } from './proc';
import { fmt2, fmtInt, say } from './report';
import type { StoredCounter } from './stored-counter';

/** Prints the phase, events sent, stored, consumer lag per group and CPU per service every 2 s. */
export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly ctx: BenchContext,
    private readonly counter: StoredCounter,
    private readonly probes: ProbeRunner,
    private readonly sampler: ProcessSampler,
  ) {}

  start(phase: string, stats: SendStats, total: number): void {
    const started = Date.now();
    const base = this.counter.latest;
    let last = this.sampler.snapshot();
    const { kafka, topics } = this.ctx;
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      void (async () => {
        try {
          const [enrichLag, aggLag] = await Promise.all([
            consumerLag(kafka, this.ctx.enrichGroupId, [topics.raw]),
            consumerLag(kafka, this.ctx.aggregateGroupId, [topics.enriched, topics.dlq]),
          ]);
          const now = this.sampler.snapshot();
          const w = cpuWindow(last, now);
          last = now;
          const cores = (['ingest', 'enrich', 'aggregate', 'kafka', 'clickhouse'] as const)
            .map((n) => `${n} ${fmt2(replicasCores(w.cores, n))}`)
            .join(' ');
          say(
            `      [${phase} ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] sent ${fmtInt(stats.sent)}/${fmtInt(total)} · stored ${fmtInt(this.counter.latest - base)} · lag enrich ${fmtInt(enrichLag)} aggregate ${fmtInt(aggLag)} · probes pending ${this.probes.pending().length} · cores: ${cores} (machine ${fmt2(w.machineBusyCores)})`,
          );
        } catch {
          // progress is best effort
        } finally {
          this.busy = false;
        }
      })();
    }, 2000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** A service's cores over all its replicas (`enrich`, `enrich#2`, …); the stack's processes by name. */
function replicasCores(cores: Record<string, number>, name: string): number {
  const members = membersOf(Object.keys(cores), name);
  return members.length === 0 ? NaN : members.reduce((sum, p) => sum + cores[p]!, 0);
}
