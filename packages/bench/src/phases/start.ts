import { setTimeout as sleep } from 'node:timers/promises';
import { replicaProcesses, type BenchContext } from '../context';
import { waitGroupsStable } from '../consumer-groups';
import { say, secs } from '../report';
import type { BenchRig } from '../rig';

/** Phase 3: starts ingest, enrich and aggregate, waits for their consumer groups, and warms the path up with 10 probes. */
export async function startServices(ctx: BenchContext, rig: BenchRig): Promise<void> {
  let t = Date.now();
  await rig.pipeline.startAll();
  const extraReplicas = replicaProcesses(ctx.opts.replicas);
  for (const name of extraReplicas) rig.pipeline.start(name);
  await waitGroupsStable(ctx.kafka, [ctx.enrichGroupId, ctx.aggregateGroupId], 90_000, ctx.opts.replicas, () => {
    const gone = extraReplicas.filter((name) => rig.pipeline.pid(name) === undefined);
    if (gone.length > 0) throw new Error(`${gone.join(', ')} exited during start-up; see ${rig.logDir}`);
  });
  rig.sampler.start(1000);
  say(
    `[3/9] started ingest, enrich, aggregate${extraReplicas.length > 0 ? ` and ${extraReplicas.join(', ')}` : ''} (consumer groups stable) in ${secs(t)}; logs in ${rig.logDir}`,
  );

  // Warm-up: a few probes through the whole path (connections, JIT), not counted.
  t = Date.now();
  rig.probes.startPolling();
  for (let i = 0; i < 10; i++) {
    rig.probes.send();
    await sleep(100);
  }
  if (!(await rig.probes.waitAllVisible(60_000)))
    throw new Error('warm-up probes did not reach ClickHouse within 60 s');
  say(`[3/9] warm-up: 10 probe events went through the whole path in ${secs(t)}`);
  rig.counter.start();
}
