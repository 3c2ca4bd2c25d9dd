#!/usr/bin/env node
/**
 * `pnpm bench`: the end-to-end benchmark, one phase after the other (docs/BENCHMARKS.md). Each phase
 * is a module of ./phases; this file only runs them in order and makes sure the services stop.
 */
import { openBench } from './context';
import { parseOptions } from './options';
import { runBareLimits } from './phases/bare';
import { runPaced } from './phases/paced';
import { runPeerRace } from './phases/peer';
import { runQueries } from './phases/queries';
import { resetAndGenerate } from './phases/reset';
import { startServices } from './phases/start';
import { stopServices } from './phases/stop';
import { writeSummary } from './phases/summary';
import { runThroughput } from './phases/throughput';
import { closeRig, createRig } from './rig';

async function main(): Promise<void> {
  const ctx = await openBench(parseOptions());
  const data = await resetAndGenerate(ctx);
  const rig = createRig(ctx, data);
  // Stopped from outside (Ctrl-C, a test's timeout): the services it started stop with it.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}, stopping the services\n`);
      void closeRig(rig).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
  try {
    await startServices(ctx, rig);
    const throughput = await runThroughput(ctx, data, rig);
    const paced = await runPaced(ctx, data, rig, throughput.result.sustainedEventsPerSecond, throughput.stats.accepted);
    const stopped = await stopServices(ctx, rig);
    // Before the bare limits, whose INSERTs would keep ClickHouse busy merging.
    const queries = await runQueries(ctx, data, rig.db);
    const peer = ctx.opts.peer ? await runPeerRace(ctx, '[8/9]') : undefined;
    const bare = await runBareLimits(ctx, data, rig, throughput.stats.accepted, stopped.sink.avgRowsPerPartitionBatch);
    writeSummary(ctx, data, { throughput: throughput.result, paced, stopped, queries, peer, bare });
  } finally {
    await closeRig(rig);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
