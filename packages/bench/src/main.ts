#!/usr/bin/env node
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '@edusage/redis';
import { baseConfigSchema, loadConfig, topicNames, type BaseConfig } from '@edusage/config';
import {
  clickhouseHealth,
  createClickHouse,
  dropDatabase,
  queryRows,
  sqlString,
  type ClickHouseClient,
} from '@edusage/clickhouse';
import { generateDistrict, writeDistrict } from '@edusage/generator';
import { consumerLag, createKafka, deleteTopics, ensureTopics, kafkaHealth, type Kafka } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { LocalPipeline, REPO_ROOT, createApiKeys, loadDistrictReferenceData } from '@edusage/demo';
import { bareClickHouse, bareKafka, rawMessagesOf, type BareResult } from './bare';
import { readBodies, sendBodies, withFreshIds, type Body, type SendStats } from './load';
import { profilesByService, summarizeProfile, type ProfileSummary } from './profile';
import { ProbeRunner, summarizeProbes, type LatencySummary } from './probes';
import { ProcessSampler, cpuWindow, loadAverage, stackPids, type CpuSnapshot, type CpuWindow } from './proc';
import { MiB, TARGETS, cpuRows, fmt1, fmt2, fmtInt, fmtMs, latencyRow, table, verdict } from './report';

const SAMPLE_PSEUDONYM_KEY = 'edusage-sample-district-key-not-for-real-data';
const DISTRICT = 'd1';
const PROBE_DISTRICT = 'bench-probe';
const SERVICES = ['ingest', 'enrich', 'aggregate'] as const;
const STACK = ['kafka', 'clickhouse', 'redis'] as const;
/** Native events per calendar day of the generated district below (measured: ~16.5k). */
const NATIVE_PER_DAY = 16_000;

const say = (line: string) => process.stdout.write(line + '\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Options {
  events: number;
  out: string;
  concurrency: number;
  batchSize: number;
  probeRate: number;
  latencyRate?: number;
  latencySeconds: number;
  seed: number;
  bare: boolean;
  port: number;
  profile: boolean;
}

function parseOptions(): Options {
  const o = new Command()
    .name('edusage-bench')
    .description(
      'End-to-end benchmark: native NDJSON over HTTP → ingest → enrich → aggregate → ClickHouse, ' +
        'with latency probes, per-service CPU and memory, and the bare Kafka and ClickHouse limits of this machine',
    )
    .option('--events <n>', 'events sent in the throughput phase', '300000')
    .option('--out <dir>', 'where the JSON result goes', path.join(REPO_ROOT, 'bench-results'))
    .option('--concurrency <n>', 'HTTP requests in flight at once (connections)', '8')
    .option('--batch-size <n>', 'events per NDJSON request', '1000')
    .option('--probe-rate <n>', 'latency probes per second', '10')
    .option(
      '--latency-rate <n>',
      'events/s of the paced latency phase (default: 20000, or 70% of the measured sustained rate if lower)',
    )
    .option('--latency-seconds <n>', 'length of the paced latency phase (0 = skip it)', '30')
    .option('--seed <n>', 'generator seed', '42')
    .option('--no-bare', 'skip the bare Kafka and ClickHouse measurements')
    .option('--port <n>', 'ingest HTTP port', process.env.BENCH_INGEST_PORT ?? '18090')
    .option(
      '--profile',
      'run the services with node --cpu-prof and summarize where their CPU time goes (adds some overhead)',
    )
    .parse()
    .opts<Record<string, string | boolean | undefined>>();
  const num = (name: string, v: unknown, min: number) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}`);
    return n;
  };
  return {
    events: num('events', o.events, 1000),
    out: String(o.out),
    concurrency: num('concurrency', o.concurrency, 1),
    batchSize: num('batch-size', o.batchSize, 1),
    probeRate: num('probe-rate', o.probeRate, 0),
    ...(o.latencyRate !== undefined ? { latencyRate: num('latency-rate', o.latencyRate, 1) } : {}),
    latencySeconds: num('latency-seconds', o.latencySeconds, 0),
    seed: num('seed', o.seed, 0),
    bare: o.bare !== false,
    port: num('port', o.port, 1),
    profile: o.profile === true,
  };
}

async function main(): Promise<void> {
  const opts = parseOptions();
  const startedAt = new Date();
  const runId = startedAt.toISOString().replace(/[-:.]/g, '').slice(0, 15);
  const workDir = path.join(REPO_ROOT, '.local', 'bench');
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    CLICKHOUSE_DATABASE: process.env.BENCH_CLICKHOUSE_DATABASE ?? 'edusage_bench',
    KAFKA_TOPIC_PREFIX: 'bench.',
    REDIS_KEY_PREFIX: 'edusage-bench:',
    ENRICH_GROUP_ID: 'bench-enrich',
    AGGREGATE_GROUP_ID: 'bench-aggregate',
    PSEUDONYM_KEY: process.env.PSEUDONYM_KEY ?? SAMPLE_PSEUDONYM_KEY,
    DISTRICT_TIMEZONES: `${DISTRICT}=America/Chicago,${PROBE_DISTRICT}=UTC`,
    INGEST_PORT: String(opts.port),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  };
  const config = loadConfig(baseConfigSchema, env);
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
  const logger = createLogger('bench', 'warn');
  const kafka = createKafka(config, logger);
  const ch = createClickHouse({ ...config, CLICKHOUSE_DATABASE: 'default' });
  const down = [
    !(await kafkaHealth(kafka)) && `Kafka (${config.KAFKA_BROKERS.join(',')})`,
    !(await clickhouseHealth(ch)) && `ClickHouse (${config.CLICKHOUSE_URL})`,
  ].filter(Boolean);
  await ch.close();
  if (down.length > 0) throw new Error(`not reachable: ${down.join(', ')}. Start the stack with: infra/local/stack up`);

  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memTotalMiB: Math.round(os.totalmem() / MiB),
    node: process.version,
    loadAverageAtStart: loadAverage(),
  };
  const commit = gitCommit();
  say(`edusage benchmark ${startedAt.toISOString()} · commit ${commit} · ${machine.cpus} cores (${machine.cpuModel})`);
  say(
    `load average at start: ${machine.loadAverageAtStart.map(fmt2).join(' ')} (other work on this machine shares the cores)`,
  );
  say(
    `targets: ≥ ${fmtInt(TARGETS.sustainedEventsPerSecond)} events/s sustained, p99 ingest→queryable ≤ ${fmtMs(TARGETS.p99IngestToQueryableMs)}, ≤ ${TARGETS.rssPerWorkerBytes / MiB} MiB RSS per worker`,
  );

  // ---- 1. reset and data ---------------------------------------------------------------------
  let t = Date.now();
  say(
    `\n[1/7] resetting database ${config.CLICKHOUSE_DATABASE}, topics ${config.KAFKA_TOPIC_PREFIX}usage.*, Redis ${config.REDIS_KEY_PREFIX}*`,
  );
  await resetBenchData(kafka, config, [env.ENRICH_GROUP_ID!, env.AGGREGATE_GROUP_ID!]);
  await ensureTopics(kafka, [topics.raw, topics.enriched, topics.dlq], config.KAFKA_PARTITIONS);

  const days = Math.min(120, Math.ceil(opts.events / NATIVE_PER_DAY) + 2);
  const district = generateDistrict({
    seed: opts.seed,
    districtId: DISTRICT,
    days,
    schools: 10,
    classesPerSchool: 40,
    studentsPerClass: 30,
    malformedRate: 0,
    duplicateRate: 0,
  });
  const dataDir = path.join(workDir, `data-seed-${opts.seed}-days-${days}`);
  rmSync(dataDir, { recursive: true, force: true });
  const files = await writeDistrict(district, dataDir, { truth: false });
  const bodies = await readBodies(files.native, opts.events, opts.batchSize);
  const totalEvents = bodies.reduce((a, b) => a + b.events, 0);
  say(
    `[1/7] generated district ${DISTRICT}: ${district.roster.users.length} users, ${days} days; ${fmtInt(totalEvents)} native events in ${bodies.length} NDJSON requests of ≤ ${opts.batchSize} (${(bodies.reduce((a, b) => a + b.text.length, 0) / totalEvents).toFixed(0)} bytes/event) in ${secs(t)}`,
  );
  if (totalEvents < opts.events) say(`      note: the generated file had only ${totalEvents} native events`);

  t = Date.now();
  await loadDistrictReferenceData(env, DISTRICT, files);
  const keys = await createApiKeys(env, DISTRICT, ['agent', 'extension']);
  const probeKey = (await createApiKeys(env, PROBE_DISTRICT, ['agent'])).agent!;
  say(`[2/7] imported roster and app catalog, created API keys in ${secs(t)}`);

  // ---- 2. services ---------------------------------------------------------------------------
  t = Date.now();
  const logDir = path.join(workDir, 'logs');
  rmSync(logDir, { recursive: true, force: true });
  const profileDir = path.join(opts.out, 'profiles', runId);
  if (opts.profile) mkdirSync(profileDir, { recursive: true });
  const pipelineEnv = opts.profile
    ? {
        ...env,
        BENCH_CPU_PROFILE_DIR: profileDir,
        NODE_OPTIONS:
          `${process.env.NODE_OPTIONS ?? ''} --require ${path.join(__dirname, 'cpu-profile-preload.js')}`.trim(),
      }
    : env;
  const pipeline = new LocalPipeline(pipelineEnv, logDir);
  const db = createClickHouse(config);
  const stackPidMap = stackPids(REPO_ROOT);
  const sampler = new ProcessSampler(() => ({
    ingest: pipeline.pid('ingest'),
    enrich: pipeline.pid('enrich'),
    aggregate: pipeline.pid('aggregate'),
    ...stackPidMap,
    bench: process.pid,
  }));
  const counter = new StoredCounter(db, DISTRICT);
  const probes = new ProbeRunner(pipeline.ingestUrl, probeKey, db, PROBE_DISTRICT, runId);
  const result: Record<string, unknown> = {};
  let pipelineStopped = false;
  try {
    await pipeline.startAll();
    await waitGroupsStable(kafka, [env.ENRICH_GROUP_ID!, env.AGGREGATE_GROUP_ID!], 90_000);
    sampler.start(1000);
    say(`[3/7] started ingest, enrich, aggregate (consumer groups stable) in ${secs(t)}; logs in ${logDir}`);

    // Warm-up: a few probes through the whole path (connections, JIT), not counted.
    t = Date.now();
    probes.startPolling();
    for (let i = 0; i < 10; i++) {
      probes.send();
      await sleep(100);
    }
    if (!(await probes.waitAllVisible(60_000))) throw new Error('warm-up probes did not reach ClickHouse within 60 s');
    say(`[3/7] warm-up: 10 probe events went through the whole path in ${secs(t)}`);
    counter.start();

    const progress = new Progress(kafka, env, counter, probes, sampler);

    // ---- 3. throughput phase -------------------------------------------------------------------
    say(
      `\n[4/7] throughput: sending ${fmtInt(totalEvents)} events as fast as ingest takes them (${opts.concurrency} connections), ${opts.probeRate} probes/s`,
    );
    probes.phase = 'load';
    const load = await timedPhase(sampler, async () => {
      const stats = newStats();
      progress.start('load', stats, totalEvents);
      probes.startSending(opts.probeRate);
      await sendBodies(pipeline.ingestUrl, keys, bodies, { concurrency: opts.concurrency, stats });
      const storedAt = await counter.waitFor(stats.accepted, 600_000);
      probes.stopSending();
      progress.stop();
      return { stats, storedAt };
    });
    const { stats: loadStats, storedAt } = load.value;
    if (loadStats.accepted !== totalEvents)
      say(`      note: ${totalEvents - loadStats.accepted} events were not accepted`);
    const e2eSeconds = (storedAt - loadStats.firstSendAt) / 1000;
    const sustained = loadStats.accepted / e2eSeconds;
    const ingestRate = loadStats.accepted / ((loadStats.lastAckAt - loadStats.firstSendAt) / 1000);
    const steady = counter.steadyRate(loadStats.accepted, 0.1, 0.9, 0);
    await probes.waitAllVisible(120_000);
    const loadLatency = summarizeProbes(probes.probes.filter((p) => p.phase === 'load'));
    say(
      `[4/7] stored ${fmtInt(loadStats.accepted)} events ${fmt1(e2eSeconds)} s after the first send: ${fmtInt(sustained)} events/s end to end ` +
        `(ingest accepted them at ${fmtInt(ingestRate)}/s; stored 10%→90% at ${fmtInt(steady)}/s)`,
    );
    result.throughput = {
      events: loadStats.accepted,
      requests: loadStats.requests,
      rejected: loadStats.rejected,
      firstSendToAllStoredSeconds: e2eSeconds,
      sustainedEventsPerSecond: sustained,
      ingestAcceptEventsPerSecond: ingestRate,
      steadyStateStoredEventsPerSecond10to90: steady,
      latencyUnderSaturation: loadLatency,
      cpu: load.cpu,
      cpuSecondsPer10kEvents: perTenK(load.cpu, loadStats.accepted),
    };

    // ---- 4. paced latency phase ----------------------------------------------------------------
    let pacedLatency: LatencySummary | undefined;
    let pacedRate = 0;
    if (opts.latencySeconds > 0) {
      pacedRate =
        opts.latencyRate ??
        (sustained >= TARGETS.sustainedEventsPerSecond
          ? TARGETS.sustainedEventsPerSecond
          : Math.max(500, Math.floor((0.7 * sustained) / 500) * 500));
      const pacedEvents = Math.round(pacedRate * opts.latencySeconds);
      say(
        `\n[5/7] latency: ${fmtInt(pacedRate)} events/s for ${opts.latencySeconds} s (${fmtInt(pacedEvents)} events), ${opts.probeRate} probes/s`,
      );
      probes.phase = 'paced';
      const paced = await timedPhase(sampler, async () => {
        const stats = newStats();
        progress.start('paced', stats, pacedEvents);
        probes.startSending(opts.probeRate);
        await sendBodies(pipeline.ingestUrl, keys, freshBodies(bodies, pacedEvents), {
          concurrency: opts.concurrency,
          ratePerSecond: pacedRate,
          stats,
        });
        probes.stopSending();
        const doneAt = await counter.waitFor(loadStats.accepted + stats.accepted, 600_000);
        progress.stop();
        return { stats, doneAt };
      });
      await probes.waitAllVisible(120_000);
      pacedLatency = summarizeProbes(probes.probes.filter((p) => p.phase === 'paced'));
      const ps = paced.value.stats;
      const achieved = ps.accepted / ((ps.lastAckAt - ps.firstSendAt) / 1000);
      say(
        `[5/7] sent at ${fmtInt(achieved)} events/s; all stored ${fmt1((paced.value.doneAt - ps.lastAckAt) / 1000)} s after the last send; ` +
          `probe p50 ${fmtMs(pacedLatency.fromAckMs?.p50)}, p99 ${fmtMs(pacedLatency.fromAckMs?.p99)}`,
      );
      result.paced = {
        targetEventsPerSecond: pacedRate,
        achievedSendEventsPerSecond: achieved,
        events: ps.accepted,
        seconds: opts.latencySeconds,
        storedAfterLastSendSeconds: (paced.value.doneAt - ps.lastAckAt) / 1000,
        latency: pacedLatency,
        cpu: paced.cpu,
        cpuSecondsPer10kEvents: perTenK(paced.cpu, ps.accepted),
      };
    }

    // ---- 5. memory, then stop ------------------------------------------------------------------
    sampler.stop();
    await probes.stopPolling();
    counter.stop();
    const servicePids = Object.fromEntries(SERVICES.map((n) => [n, pipeline.pid(n)]));
    await pipeline.stopAll();
    pipelineStopped = true;
    if (opts.profile) {
      const profiles: Record<string, ProfileSummary> = {};
      for (const [name, file] of Object.entries(profilesByService(profileDir, servicePids))) {
        profiles[name] = summarizeProfile(file);
      }
      result.profiles = profiles;
      printProfiles(profiles);
    }
    const sinkStats = lastSinkStats(path.join(logDir, 'aggregate.log'));
    const rowsPerInsert = sinkStats && sinkStats.batches > 0 ? sinkStats.inserted / sinkStats.batches : NaN;
    result.memory = { peakRssBytes: sampler.peakRss, vmHwmBytes: sampler.hwm };
    result.sink = { ...sinkStats, avgRowsPerPartitionBatch: rowsPerInsert };
    say(
      `\n[6/7] services stopped; aggregate wrote ${sinkStats ? fmtInt(rowsPerInsert) : 'n/a'} rows per partition batch on average`,
    );

    // ---- 6. bare limits ------------------------------------------------------------------------
    if (opts.bare) {
      const n = loadStats.accepted;
      say(`[7/7] bare limits with the same ${fmtInt(n)} events (services stopped)`);
      const messages = rawMessagesOf(bodies, n);
      const kafkaRun = await timedPhase(sampler, () =>
        bareKafka(kafka, `${config.KAFKA_TOPIC_PREFIX}bare`, config.KAFKA_PARTITIONS, messages, {
          batchSize: opts.batchSize,
          concurrency: opts.concurrency,
          onProgress: (p, c) => say(`      kafka: produced ${fmtInt(p)}, consumed ${fmtInt(c)}`),
        }),
      );
      say(
        `      kafkajs produce→consume: ${fmtInt(kafkaRun.value.eventsPerSecond)} events/s (produce alone ${fmtInt(Number(kafkaRun.value.detail.produceOnlyEventsPerSecond))}/s)`,
      );
      const rows = await queryRows<object>(
        db,
        `SELECT * FROM usage_events WHERE district_id = ${sqlString(DISTRICT)} LIMIT ${Math.floor(n)}`,
      );
      const batchSize = Number.isFinite(rowsPerInsert) ? Math.max(1, Math.round(rowsPerInsert)) : 5000;
      const concurrency = Number(process.env.AGGREGATE_CONCURRENCY ?? 3);
      const chRun = await timedPhase(sampler, () =>
        bareClickHouse(
          config,
          path.join(REPO_ROOT, 'infra', 'clickhouse'),
          `${config.CLICKHOUSE_DATABASE}_bare`,
          rows,
          {
            batchSize,
            concurrency,
          },
        ),
      );
      say(
        `      ClickHouse INSERT (JSONEachRow, ${fmtInt(batchSize)} rows, ${concurrency} at a time): ${fmtInt(chRun.value.plain.eventsPerSecond)} events/s plain table, ${fmtInt(chRun.value.withRollups.eventsPerSecond)} events/s into usage_events with the rollup derivation`,
      );
      result.bare = {
        kafka: { ...kafkaRun.value, cpu: kafkaRun.cpu },
        clickhouse: { plain: chRun.value.plain, withRollups: chRun.value.withRollups, cpu: chRun.cpu },
      };
    }

    // ---- summary -------------------------------------------------------------------------------
    const finishedAt = new Date();
    const summary = {
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      commit,
      machine: { ...machine, loadAverageAtEnd: loadAverage() },
      options: opts,
      setup: {
        database: config.CLICKHOUSE_DATABASE,
        topicPrefix: config.KAFKA_TOPIC_PREFIX,
        partitions: config.KAFKA_PARTITIONS,
        redisPrefix: config.REDIS_KEY_PREFIX,
        district: { id: DISTRICT, users: district.roster.users.length, days, schools: 10 },
        serviceEnv: Object.fromEntries(
          Object.entries(process.env).filter(([k]) => /^(ENRICH|AGGREGATE|INGEST)_/.test(k)),
        ),
      },
      targets: TARGETS,
      method: METHOD,
      ...result,
    };
    mkdirSync(opts.out, { recursive: true });
    const outFile = path.join(opts.out, `${runId}.json`);
    writeFileSync(outFile, JSON.stringify(summary, null, 2) + '\n');
    printSummary(summary as unknown as Summary, loadLatency, pacedLatency, pacedRate);
    say(`\nresult written to ${path.relative(process.cwd(), outFile) || outFile}`);
  } finally {
    sampler.stop();
    await probes.stopPolling();
    counter.stop();
    if (!pipelineStopped) await pipeline.stopAll();
    await db.close();
  }
}

const METHOD = {
  throughput:
    'Native NDJSON bodies (generated sample district, no malformed records, no duplicates) are POSTed to ingest over several connections as fast as it answers; sustained = accepted events / (first send → SELECT count() FROM usage_events for the district reaches the accepted count, polled every 500 ms).',
  latency:
    'Single-event probe requests at a steady rate in a district of their own; latency = first ClickHouse poll (every 250 ms, SELECT event_id ... WHERE event_id IN (...)) that sees the event minus the time ingest answered 202. Reported under saturation (during the throughput phase, backlog included) and at a paced rate below capacity.',
  memory:
    'VmHWM (kernel peak RSS) from /proc/<pid>/status of each service process, plus the peak VmRSS sampled each second.',
  cpu: 'utime+stime from /proc/<pid>/stat at the start and end of each phase, for each service, the Kafka/ClickHouse/Redis processes and the benchmark process; other = machine busy time (/proc/stat) not used by them.',
  bare: 'Kafka: one idempotent kafkajs producer (acks=all), same message count and size as usage.raw, one consumer group consuming concurrently. ClickHouse: the stored rows read back and INSERTed as JSONEachRow with the sink’s average batch size and concurrency, into a plain usage_events-shaped table and into usage_events with its materialized views.',
};

interface Summary {
  throughput: {
    events: number;
    sustainedEventsPerSecond: number;
    ingestAcceptEventsPerSecond: number;
    steadyStateStoredEventsPerSecond10to90: number;
    firstSendToAllStoredSeconds: number;
    cpu: CpuWindow;
  };
  paced?: { cpu: CpuWindow; events: number; achievedSendEventsPerSecond: number };
  memory: { peakRssBytes: Record<string, number>; vmHwmBytes: Record<string, number> };
  bare?: { kafka: BareResult; clickhouse: { plain: BareResult; withRollups: BareResult } };
  machine: { loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
}

function printSummary(s: Summary, load: LatencySummary, paced: LatencySummary | undefined, pacedRate: number): void {
  const tp = s.throughput;
  say('\n================================ summary ================================');
  const rows: string[][] = [['measure', 'value', 'target', 'verdict']];
  rows.push([
    'sustained end to end (events/s)',
    fmtInt(tp.sustainedEventsPerSecond),
    `≥ ${fmtInt(TARGETS.sustainedEventsPerSecond)}`,
    verdict(tp.sustainedEventsPerSecond >= TARGETS.sustainedEventsPerSecond),
  ]);
  rows.push(['  steady state, stored 10%→90% (events/s)', fmtInt(tp.steadyStateStoredEventsPerSecond10to90), '', '']);
  rows.push(['  ingest accept rate (events/s)', fmtInt(tp.ingestAcceptEventsPerSecond), '', '']);
  if (paced) {
    const p99 = paced.fromAckMs?.p99 ?? Infinity;
    rows.push([
      `p99 ingest→queryable at ${fmtInt(pacedRate)}/s`,
      fmtMs(paced.fromAckMs?.p99),
      `≤ ${fmtMs(TARGETS.p99IngestToQueryableMs)}`,
      verdict(p99 <= TARGETS.p99IngestToQueryableMs) +
        (pacedRate < TARGETS.sustainedEventsPerSecond ? ' (below target load)' : ''),
    ]);
  }
  rows.push(['p99 ingest→queryable under saturation', fmtMs(load.fromAckMs?.p99), '', '(backlog included)']);
  for (const name of SERVICES) {
    const hwm = s.memory.vmHwmBytes[name] ?? NaN;
    rows.push([
      `peak RSS ${name} (MiB)`,
      fmt1(hwm / MiB),
      `≤ ${TARGETS.rssPerWorkerBytes / MiB}`,
      verdict(hwm <= TARGETS.rssPerWorkerBytes),
    ]);
  }
  if (s.bare) {
    const k = s.bare.kafka.eventsPerSecond;
    const c = s.bare.clickhouse.plain.eventsPerSecond;
    const cv = s.bare.clickhouse.withRollups.eventsPerSecond;
    rows.push([
      'bare kafkajs produce→consume (events/s)',
      fmtInt(k),
      '',
      `pipeline = ${fmt2(tp.sustainedEventsPerSecond / k)} ×`,
    ]);
    rows.push([
      'bare ClickHouse INSERT, plain (events/s)',
      fmtInt(c),
      '',
      `pipeline = ${fmt2(tp.sustainedEventsPerSecond / c)} ×`,
    ]);
    rows.push([
      'bare ClickHouse INSERT + rollup derivation (events/s)',
      fmtInt(cv),
      '',
      `pipeline = ${fmt2(tp.sustainedEventsPerSecond / cv)} ×`,
    ]);
  }
  say(table(rows));

  say('\nlatency probes (from the 202 to the first ClickHouse poll that sees the event; poll every 250 ms)');
  const lrows = [['phase', 'seen', 'p50', 'p90', 'p99', 'max', 'p99 from send', 'lost/failed']];
  lrows.push(latencyRow('throughput (saturated)', load));
  if (paced) lrows.push(latencyRow(`paced ${fmtInt(pacedRate)}/s`, paced));
  say(table(lrows));

  const names = [...SERVICES, ...STACK, 'bench'];
  say(
    `\nCPU during the throughput phase (${fmt1(tp.cpu.wallSeconds)} s; machine busy ${fmt2(tp.cpu.machineBusyCores)} of 2 cores, other processes ${fmt2(tp.cpu.otherBusyCores)})`,
  );
  say(table([['process', 'CPU s', 'cores', 'CPU s / 10k events'], ...cpuRows(names, tp.cpu, tp.events)]));
  if (s.paced) {
    say(
      `\nCPU during the paced phase (${fmt1(s.paced.cpu.wallSeconds)} s at ${fmtInt(s.paced.achievedSendEventsPerSecond)}/s; machine busy ${fmt2(s.paced.cpu.machineBusyCores)}, other ${fmt2(s.paced.cpu.otherBusyCores)})`,
    );
    say(table([['process', 'CPU s', 'cores', 'CPU s / 10k events'], ...cpuRows(names, s.paced.cpu, s.paced.events)]));
  }
  say('\npeak memory (VmHWM / peak sampled VmRSS, MiB)');
  say(
    table([
      ['process', 'VmHWM', 'peak RSS'],
      ...[...SERVICES, ...STACK, 'bench'].map((n) => [
        n,
        fmt1((s.memory.vmHwmBytes[n] ?? NaN) / MiB),
        fmt1((s.memory.peakRssBytes[n] ?? NaN) / MiB),
      ]),
    ]),
  );
  say(
    `\nload average: start ${s.machine.loadAverageAtStart.map(fmt2).join(' ')}, end ${s.machine.loadAverageAtEnd.map(fmt2).join(' ')}`,
  );
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

// ---- helpers ----------------------------------------------------------------------------------

function secs(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function newStats(): SendStats {
  return { requests: 0, sent: 0, accepted: 0, rejected: 0, firstSendAt: 0, lastAckAt: 0 };
}

function perTenK(w: CpuWindow, events: number): Record<string, number> {
  return Object.fromEntries(Object.entries(w.cpuSeconds).map(([k, v]) => [k, (v / events) * 10_000]));
}

async function timedPhase<T>(sampler: ProcessSampler, fn: () => Promise<T>): Promise<{ value: T; cpu: CpuWindow }> {
  const from: CpuSnapshot = sampler.snapshot();
  const value = await fn();
  return { value, cpu: cpuWindow(from, sampler.snapshot()) };
}

/** `count` events from the bodies, cycling with fresh event ids (new events, not duplicates). */
function* freshBodies(bodies: Body[], count: number): Generator<Body> {
  let n = 0;
  for (let round = 0; ; round++) {
    for (const b of bodies) {
      if (n >= count) return;
      n += b.events;
      yield withFreshIds(b, `r${round}-`);
    }
  }
}

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return 'unknown';
  }
}

/** The sink's last logged stats ({batches, inserted, ...}), from its "sink stopped" / "sink progress" lines. */
function lastSinkStats(logFile: string): { batches: number; inserted: number; duplicates: number } | null {
  try {
    const lines = readFileSync(logFile, 'utf8').trim().split('\n').reverse();
    for (const line of lines) {
      if (!line.includes('"stats"')) continue;
      const parsed = JSON.parse(line) as { stats?: { batches: number; inserted: number; duplicates: number } };
      if (parsed.stats) return parsed.stats;
    }
  } catch {
    // no log: no figure
  }
  return null;
}

/** Polls SELECT count() for the load's district every 500 ms and keeps (time, count) samples. */
class StoredCounter {
  readonly samples: { at: number; count: number }[] = [];
  latest = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly db: ClickHouseClient,
    private readonly districtId: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), 500);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    const at = Date.now();
    try {
      const [row] = await queryRows<{ n: string }>(
        this.db,
        `SELECT count() AS n FROM usage_events WHERE district_id = ${sqlString(this.districtId)}`,
      );
      this.latest = Number(row?.n ?? 0);
      this.samples.push({ at, count: this.latest });
    } catch {
      // a failed poll is simply retried at the next tick
    } finally {
      this.busy = false;
    }
  }

  /** Resolves with the start time of the first poll that saw at least `n` rows. */
  async waitFor(n: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.samples.find((s) => s.count >= n);
      if (hit) return hit.at;
      if (Date.now() > deadline)
        throw new Error(`only ${this.latest} of ${n} events stored after ${timeoutMs / 1000} s`);
      await sleep(100);
    }
  }

  /** Rows stored per second between the first samples reaching `lo` and `hi` of `total` (counted above `base`). */
  steadyRate(total: number, lo: number, hi: number, base: number): number {
    const a = this.samples.find((s) => s.count - base >= lo * total);
    const b = this.samples.find((s) => s.count - base >= hi * total);
    if (!a || !b || b.at === a.at) return NaN;
    return (b.count - a.count) / ((b.at - a.at) / 1000);
  }
}

/** Prints the phase, events sent, stored, consumer lag per group and CPU per service every 2 s. */
class Progress {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly env: Record<string, string>,
    private readonly counter: StoredCounter,
    private readonly probes: ProbeRunner,
    private readonly sampler: ProcessSampler,
  ) {}

  start(phase: string, stats: SendStats, total: number): void {
    const started = Date.now();
    const base = this.counter.latest;
    let last = this.sampler.snapshot();
    const topics = topicNames(this.env.KAFKA_TOPIC_PREFIX);
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      void (async () => {
        try {
          const [enrichLag, aggLag] = await Promise.all([
            consumerLag(this.kafka, this.env.ENRICH_GROUP_ID!, [topics.raw]),
            consumerLag(this.kafka, this.env.AGGREGATE_GROUP_ID!, [topics.enriched, topics.dlq]),
          ]);
          const now = this.sampler.snapshot();
          const w = cpuWindow(last, now);
          last = now;
          const cores = (['ingest', 'enrich', 'aggregate', 'kafka', 'clickhouse'] as const)
            .map((n) => `${n} ${fmt2(w.cores[n] ?? NaN)}`)
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

async function waitGroupsStable(kafka: Kafka, groupIds: string[], timeoutMs: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { groups } = await admin.describeGroups(groupIds);
      if (groups.every((g) => g.state === 'Stable' && g.members.length > 0)) return;
      if (Date.now() > deadline) {
        throw new Error(`consumer groups not stable: ${groups.map((g) => `${g.groupId}=${g.state}`).join(', ')}`);
      }
      await sleep(500);
    }
  } finally {
    await admin.disconnect();
  }
}

async function resetBenchData(kafka: Kafka, config: BaseConfig, groupIds: string[]): Promise<void> {
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
  const all = [topics.raw, topics.enriched, topics.dlq, `${config.KAFKA_TOPIC_PREFIX}bare`];
  await deleteTopics(kafka, all);
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let i = 0; i < 60; i++) {
      const existing = new Set(await admin.listTopics());
      if (!all.some((t) => existing.has(t))) break;
      await sleep(500);
    }
    await admin.deleteGroups(groupIds).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
  await dropDatabase(config);
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  try {
    await deleteKeysWithPrefix(redis, config.REDIS_KEY_PREFIX);
  } finally {
    redis.disconnect();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
