#!/usr/bin/env node
/**
 * `pnpm bench:kafka-clients`: kafkajs (through packages/kafka, as the services use it) against
 * @platformatic/kafka on the same messages and the same broker, each set up like the services
 * (issue 10, "The Kafka client"; the one difference, the fetch wait, is in platformatic-side.ts).
 * Each measurement runs in a process of its own; clients alternate run after run.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { baseConfigSchema, loadConfig } from '@edusage/config';
import { REPO_ROOT } from '@edusage/demo';
import { writeDistrict } from '@edusage/generator';
import {
  createKafka,
  createProducer,
  deleteTopics,
  recreateTopics,
  sendAcknowledged,
  topicMessageCount,
} from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { rawMessagesOf } from '../bare-limits';
import { benchDistrict } from '../district';
import { readBodies } from '../load';
import { fmt2, fmtInt, say, table } from '../report';
import {
  CLIENTS,
  relayValue,
  type ClientName,
  type KeyedMessage,
  type Measurement,
  type Mode,
  type Workload,
} from './workload';

/** Messages for the concurrent-sends check: enough for several sends in flight at once. */
const CONCURRENT_CHECK_EVENTS = 20_000;
const MEASUREMENT_TIMEOUT_MS = 10 * 60_000;

interface Options {
  events: number;
  runs: number;
  batchSize: number;
  seed: number;
  out: string;
}

function parseOptions(): Options {
  const o = new Command()
    .name('edusage-bench-kafka-clients')
    .description(
      'kafkajs vs @platformatic/kafka: bare produce→consume, a relay shaped like enrich, concurrent idempotent sends',
    )
    .option('--events <n>', 'messages per measurement', '200000')
    .option('--runs <n>', 'measurements of each client and mode', '3')
    .option(
      '--batch-size <n>',
      "messages per send (and per relay chunk); a send also stays within the broker's 1 MB record-batch limit",
      '500',
    )
    .option('--seed <n>', 'generator seed', '42')
    .option('--out <dir>', 'where the JSON result goes', path.join(REPO_ROOT, 'bench-results'))
    .parse()
    .opts<Record<string, string>>();
  const integer = (name: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${String(v)}`);
    return n;
  };
  const positive = (name: string, v: string | undefined) => integer(name, v, 1);
  return {
    events: positive('events', o['events']),
    runs: positive('runs', o['runs']),
    batchSize: positive('batch-size', o['batchSize']),
    seed: integer('seed', o['seed'], 0),
    out: String(o['out']),
  };
}

/** The RawMessages ingest would write for the generated district's first `events` native events. */
async function writeMessages(opts: Options, workDir: string): Promise<{ file: string; messages: KeyedMessage[] }> {
  const { district } = benchDistrict(opts.seed, 'd-clients', opts.events);
  const files = await writeDistrict(district, path.join(workDir, 'district'), { truth: false });
  const messages = rawMessagesOf(await readBodies(files.native, opts.events, 1000), opts.events);
  if (messages.length < opts.events)
    throw new Error(`the generated district has only ${messages.length} events (--events ${opts.events})`);
  const file = path.join(workDir, 'messages.ndjson');
  writeFileSync(file, messages.map((m) => JSON.stringify(m)).join('\n') + '\n');
  return { file, messages };
}

/** Runs one measurement in a child process and returns what it printed. */
function measure(w: Workload): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'measure.js'), JSON.stringify(w)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), MEASUREMENT_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as Measurement);
      else reject(new Error(`${w.client} ${w.mode} exited with ${String(code)}: ${err.trim().slice(-2000)}`));
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function main(): Promise<void> {
  const opts = parseOptions();
  const config = loadConfig(baseConfigSchema, process.env);
  const kafka = createKafka(config, createLogger('bench', 'warn'));
  const prefix = `${config.KAFKA_TOPIC_PREFIX}bench.clients.`;
  const topics = {
    bare: `${prefix}bare`,
    input: `${prefix}in`,
    output: `${prefix}out`,
    concurrent: `${prefix}concurrent`,
  };
  const workDir = path.join(REPO_ROOT, '.local', 'bench-kafka-clients');
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const runId = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);

  say(`generating ${fmtInt(opts.events)} RawMessages of the sample district…`);
  const { file, messages } = await writeMessages(opts, workDir);
  say(`prefilling ${topics.input} for the relay (${config.KAFKA_PARTITIONS} partitions, untimed)…`);
  await recreateTopics(kafka, [topics.input], config.KAFKA_PARTITIONS);
  const producer = await createProducer(kafka);
  for (let i = 0; i < messages.length; i += 1000) {
    await sendAcknowledged(producer, [{ topic: topics.input, messages: messages.slice(i, i + 1000) }]);
  }
  await producer.disconnect();

  const workload = (client: ClientName, mode: Mode, run: number): Workload => ({
    client,
    mode,
    brokers: config.KAFKA_BROKERS,
    messagesFile: file,
    events: mode === 'concurrent-idempotent' ? Math.min(CONCURRENT_CHECK_EVENTS, opts.events) : opts.events,
    batchSize: opts.batchSize,
    topic: mode === 'bare' ? topics.bare : mode === 'relay' ? topics.input : topics.concurrent,
    outputTopic: topics.output,
    groupId: `bench-clients-${runId}-${client}-${mode}-${run}`,
  });

  const results: Measurement[] = [];
  for (let run = 1; run <= opts.runs; run++) {
    // Alternate which client goes first, so drift of the machine does not favour one.
    const order = run % 2 === 1 ? [...CLIENTS] : [...CLIENTS].reverse();
    for (const mode of ['bare', 'relay'] as const) {
      for (const client of order) {
        await recreateTopics(kafka, [mode === 'bare' ? topics.bare : topics.output], config.KAFKA_PARTITIONS);
        const m = await measure(workload(client, mode, run));
        // A rate only counts if the work was done: every message is in the topic written.
        const written = (await topicMessageCount(kafka, mode === 'bare' ? topics.bare : topics.output)).messages;
        if (written !== opts.events) {
          throw new Error(`${client} ${mode} run ${run}: ${written} messages written, ${opts.events} expected`);
        }
        results.push(m);
        say(
          `run ${run}/${opts.runs} ${mode.padEnd(5)} ${client.padEnd(12)} ${fmtInt(m.eventsPerSecond).padStart(8)} events/s  ${fmt2(m.cpuSecondsPer10k)} CPU-s/10k  peak RSS ${fmtInt(m.peakRssMiB)} MiB`,
        );
      }
    }
  }

  const concurrent: (Measurement & { landed: number })[] = [];
  for (const client of CLIENTS) {
    await recreateTopics(kafka, [topics.concurrent], config.KAFKA_PARTITIONS);
    const m = await measure(workload(client, 'concurrent-idempotent', 0));
    concurrent.push({ ...m, landed: (await topicMessageCount(kafka, topics.concurrent)).messages });
  }
  await deleteTopics(kafka, Object.values(topics)).catch(() => undefined);

  const relayWork = relayWorkCpu(messages);
  printSummary(opts, results, concurrent, relayWork);
  mkdirSync(opts.out, { recursive: true });
  const outFile = path.join(opts.out, `kafka-clients-${runId}.json`);
  writeFileSync(
    outFile,
    JSON.stringify({ options: opts, partitions: config.KAFKA_PARTITIONS, results, concurrent, relayWork }, null, 2) +
      '\n',
  );
  say(`\nresult written to ${path.relative(process.cwd(), outFile) || outFile}`);
}

/**
 * CPU-s per 10k messages of the relay's own work (relayValue), without any client: the part of both
 * relay figures that is not the client's. Best of three warm passes, so a lower bound.
 */
function relayWorkCpu(messages: KeyedMessage[]): number {
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const before = process.cpuUsage();
    for (const m of messages) relayValue(m.value);
    const used = process.cpuUsage(before);
    best = Math.min(best, (used.user + used.system) / 1e6 / (messages.length / 10_000));
  }
  return best;
}

function printSummary(
  opts: Options,
  results: Measurement[],
  concurrent: (Measurement & { landed: number })[],
  relayWork: number,
): void {
  const rows: string[][] = [
    ['mode', 'client', 'events/s (median, each run)', 'CPU-s per 10k (median)', 'peak RSS MiB (max)'],
  ];
  for (const mode of ['bare', 'relay'] as const) {
    const base = median(results.filter((r) => r.mode === mode && r.client === 'kafkajs').map((r) => r.eventsPerSecond));
    for (const client of CLIENTS) {
      const rs = results.filter((r) => r.mode === mode && r.client === client);
      const rate = median(rs.map((r) => r.eventsPerSecond));
      rows.push([
        mode,
        client,
        `${fmtInt(rate)} (${rs.map((r) => fmtInt(r.eventsPerSecond)).join(' / ')})${client === 'kafkajs' ? '' : ` = ${fmt2(rate / base)} × kafkajs`}`,
        fmt2(median(rs.map((r) => r.cpuSecondsPer10k))),
        fmtInt(Math.max(...rs.map((r) => r.peakRssMiB))),
      ]);
    }
  }
  say(
    `\n${fmtInt(opts.events)} messages a measurement, sends of up to ${opts.batchSize} (and ~1 MB), ${opts.runs} runs\n`,
  );
  say(table(rows));
  say(`\nthe relay's own work (parse and re-serialize, no client): ${fmt2(relayWork)} CPU-s per 10k`);
  say('\nTwo sends in flight on one idempotent producer:');
  for (const c of concurrent) {
    say(
      `  ${c.client.padEnd(12)} ${c.error === undefined ? 'accepted' : `refused: ${c.error}`}; ${fmtInt(c.landed)} of ${fmtInt(c.events)} messages in the topic`,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench:kafka-clients failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
