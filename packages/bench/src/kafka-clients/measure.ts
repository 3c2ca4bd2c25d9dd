/**
 * One measurement of `pnpm bench:kafka-clients`, in a process of its own so CPU and peak memory
 * belong to one client: argv[2] is a Workload as JSON; prints one Measurement as JSON.
 */
import { readFileSync } from 'node:fs';
import { kafkajsBare, kafkajsConcurrentIdempotent, kafkajsRelay } from './kafkajs-side';
import { platformaticBare, platformaticConcurrentIdempotent, platformaticRelay } from './platformatic-side';
import type { KeyedMessage, Measurement, Workload } from './workload';

const RUNNERS = {
  kafkajs: { bare: kafkajsBare, relay: kafkajsRelay, 'concurrent-idempotent': kafkajsConcurrentIdempotent },
  platformatic: {
    bare: platformaticBare,
    relay: platformaticRelay,
    'concurrent-idempotent': platformaticConcurrentIdempotent,
  },
} as const;

function readMessages(file: string, limit: number): KeyedMessage[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .slice(0, limit)
    .map((line) => JSON.parse(line) as KeyedMessage);
}

async function main(): Promise<void> {
  const w = JSON.parse(process.argv[2] ?? '') as Workload;
  // The relay reads its input from Kafka; the others send these.
  const messages = w.mode === 'relay' ? [] : readMessages(w.messagesFile, w.events);
  // The runner marks the window (workload.ts Timing); both marks are required.
  let from: { at: number; cpu: NodeJS.CpuUsage } | undefined;
  let to: { at: number; cpu: NodeJS.CpuUsage } | undefined;
  const timing = {
    joined: () => (from ??= { at: performance.now(), cpu: process.cpuUsage() }),
    finished: () => (to ??= { at: performance.now(), cpu: process.cpuUsage() }),
  };
  let error: string | undefined;
  try {
    await RUNNERS[w.client][w.mode](w, messages, timing);
  } catch (err) {
    if (w.mode !== 'concurrent-idempotent') throw err;
    error = describe(err);
  }
  // A refused concurrent send ends the window where it failed.
  if (error !== undefined) timing.finished();
  if (from === undefined || to === undefined) throw new Error(`${w.client} ${w.mode} did not mark its timed window`);
  const seconds = (to.at - from.at) / 1000;
  const cpuMicros = to.cpu.user + to.cpu.system - (from.cpu.user + from.cpu.system);
  const result: Measurement = {
    client: w.client,
    mode: w.mode,
    events: w.events,
    seconds,
    eventsPerSecond: w.events / seconds,
    cpuSecondsPer10k: cpuMicros / 1e6 / (w.events / 10_000),
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    ...(error === undefined ? {} : { error }),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

/** The client's error with the broker's error names it carries (AggregateErrors nest them). */
function describe(err: unknown): string {
  const names = new Set<string>();
  const walk = (e: unknown) => {
    if (typeof e !== 'object' || e === null) return;
    const o = e as { apiId?: unknown; type?: unknown; errors?: unknown };
    if (typeof o.apiId === 'string') names.add(o.apiId);
    if (typeof o.type === 'string') names.add(o.type);
    if (Array.isArray(o.errors)) o.errors.forEach(walk);
  };
  walk(err);
  const message = err instanceof Error ? err.message : String(err);
  return names.size > 0 ? `${message} (${[...names].join(', ')})` : message;
}

main().catch((err: unknown) => {
  process.stderr.write(`measurement failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
