import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DISTRICT, type BenchContext, type Machine } from '../context';
import type { Options } from '../options';
import { loadAverage } from '../proc';
import { TARGETS, say } from '../report';
import type { BareLimitsResult } from './bare';
import type { PacedResult } from './paced';
import type { PeerResult } from './peer';
import type { QueriesResult } from './queries';
import type { BenchData } from './reset';
import type { StopResult } from './stop';
import { printSummary } from './summary-tables';
import type { ThroughputResult } from './throughput';

/** How each figure is measured; written into every result so a JSON file explains itself. */
const METHOD = {
  throughput:
    'Native NDJSON bodies (generated sample district, no malformed records, no duplicates) are POSTed to ingest over several connections as fast as it answers; sustained = accepted events / (first send → SELECT count() FROM usage_events for the district reaches the accepted count, polled every 500 ms).',
  latency:
    'Single-event probe requests at a steady rate in a district of their own; latency = first ClickHouse poll (every 250 ms, SELECT event_id ... WHERE event_id IN (...) with the ids enrich stores for the probes, its keyed digest enrichedEventId of each sent event_id) that sees the event minus the time ingest answered 202. Reported under saturation (during the throughput phase, backlog included) and at a paced rate below capacity.',
  memory:
    'VmHWM (kernel peak RSS) from /proc/<pid>/status of each service process, plus the peak VmRSS sampled each second.',
  cpu: 'utime+stime from /proc/<pid>/stat at the start and end of each phase, for each service, the Kafka/ClickHouse/Redis processes and the benchmark process; other = machine busy time (/proc/stat) not used by them.',
  probeHops:
    "After the services stopped, each probe's records on usage.raw and usage.enriched are found (by the sent event_id and the stored one) and their timestamps (CreateTime: when ingest's and enrich's producers made them) split its 202 → queryable latency into enrich (202 → enriched record made) and aggregate (enriched record → the first ClickHouse poll that saw it), with ingest's own time before the 202 (raw record made → 202) beside them; p50/p90/p99 of each part, and its mean over the slowest tenth of the probes.",
  queries:
    'With the services stopped: each report function behind the usage pages (packages/reports) over the district’s whole generated period, one warm-up run then --query-runs timed runs one at a time; ms = wall time in the benchmark process, JSON parsing included.',
  peer: "With the services stopped, usage.enriched (the run's enriched events) is stored again from offset 0 into a fresh database twice, one after the other: by the aggregate service alone (new consumer group; exactly-once: duplicate claims, stored-offset check, three rollup levels), then by ClickHouse's own Kafka table engine (kafka_format TSV, one JSON line per row parsed with visitParamExtract*, a materialized view into a usage_events-shaped table; at-least-once, no rollups). Rate = rows / (start → count() reaches the target, polled every 250 ms); the engine writes its last block after its flush interval (stream_flush_interval_ms, 7.5 s), so the time to 90 % is given too.",
  bare: 'Kafka: one idempotent kafkajs producer (acks=all), same message count and size as usage.raw, one consumer group consuming concurrently. ClickHouse: the stored rows read back and INSERTed as JSONEachRow with the sink’s average batch size and concurrency, into a plain usage_events-shaped table, and into usage_events with each INSERT followed by the sink’s rollup derivation.',
};

/** What the phases measured. */
export interface PhaseResults {
  throughput: ThroughputResult;
  paced: PacedResult | undefined;
  stopped: StopResult;
  queries: QueriesResult | undefined;
  peer: PeerResult | undefined;
  bare: BareLimitsResult | undefined;
}

/** The JSON result (bench-results/<runId>.json). */
export interface BenchSummary {
  startedAt: string;
  finishedAt: string;
  commit: string;
  machine: Machine & { loadAverageAtEnd: number[] };
  options: Options;
  setup: Record<string, unknown>;
  targets: typeof TARGETS;
  method: typeof METHOD;
  throughput: ThroughputResult;
  paced?: PacedResult;
  profiles?: StopResult['profiles'];
  memory: StopResult['memory'];
  sink: StopResult['sink'];
  probeHops: StopResult['probeHops'];
  queries?: QueriesResult;
  peer?: PeerResult;
  bare?: BareLimitsResult;
}

/** Last phase: writes the JSON result and prints the summary tables. */
export function writeSummary(ctx: BenchContext, data: BenchData, results: PhaseResults): BenchSummary {
  const { config } = ctx;
  const summary: BenchSummary = {
    startedAt: ctx.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    commit: ctx.commit,
    machine: { ...ctx.machine, loadAverageAtEnd: loadAverage() },
    options: ctx.opts,
    setup: {
      database: config.CLICKHOUSE_DATABASE,
      topicPrefix: config.KAFKA_TOPIC_PREFIX,
      partitions: config.KAFKA_PARTITIONS,
      redisPrefix: config.REDIS_KEY_PREFIX,
      district: { id: DISTRICT, users: data.district.roster.users.length, days: data.days, schools: 10 },
      serviceEnv: Object.fromEntries(
        Object.entries(process.env).filter(([k]) => /^(ENRICH|AGGREGATE|INGEST)_/.test(k)),
      ),
    },
    targets: TARGETS,
    method: METHOD,
    throughput: results.throughput,
    ...(results.paced ? { paced: results.paced } : {}),
    ...results.stopped,
    ...(results.queries ? { queries: results.queries } : {}),
    ...(results.peer ? { peer: results.peer } : {}),
    ...(results.bare ? { bare: results.bare } : {}),
  };
  mkdirSync(ctx.opts.out, { recursive: true });
  const outFile = path.join(ctx.opts.out, `${ctx.runId}.json`);
  writeFileSync(outFile, JSON.stringify(summary, null, 2) + '\n');
  printSummary(summary);
  say(`\nresult written to ${path.relative(process.cwd(), outFile) || outFile}`);
  return summary;
}
