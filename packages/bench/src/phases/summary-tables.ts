import { membersOf, REPLICATED, STACK, serviceProcesses } from '../context';
import type { CpuWindow } from '../proc';
import type { PacedResult } from './paced';
import type { ThroughputResult } from './throughput';
import { MiB, TARGETS, cpuRows, fmt1, fmt2, fmtInt, fmtMs, latencyRow, say, table, verdict } from '../report';
import { queriesTable } from './queries';
import type { HopStats, HopSummary } from '../probe-hops';
import { fmtBound, type AggregateTimings } from '../aggregate-timings';
import type { BenchSummary } from './summary';

/** The summary tables: targets and verdicts, latency per phase, CPU per process and phase, peak memory. */
export function printSummary(s: BenchSummary): void {
  say('\n================================ summary ================================');
  say(table(targetRows(s)));

  const load = s.throughput.latencyUnderSaturation;
  say('\nlatency probes (from the 202 to the first ClickHouse poll that sees the event; poll every 250 ms)');
  const lrows = [['phase', 'seen', 'p50', 'p90', 'p99', 'max', 'p99 from send', 'lost/failed']];
  for (const [label, l] of byPhase(s, load, (p) => p.latency)) lrows.push(latencyRow(label, l));
  say(table(lrows));
  printProbeHops(s);
  printAggregateTimings(s);

  const tp = s.throughput;
  const names = [...serviceProcesses(s.options.replicas), ...STACK, 'bench'];
  const cpuTable = (w: CpuWindow, events: number) =>
    table([
      ['process', 'CPU s', 'cores', 'CPU s / 10k events'],
      ...cpuRows(names, w, events),
      ...replicaTotals(s, w, events),
    ]);
  say(
    `\nCPU during the throughput phase (${fmt1(tp.cpu.wallSeconds)} s; machine busy ${fmt2(tp.cpu.machineBusyCores)} of 2 cores, other processes ${fmt2(tp.cpu.otherBusyCores)})`,
  );
  say(cpuTable(tp.cpu, tp.events));
  if (s.paced) {
    say(
      `\nCPU during the paced phase (${fmt1(s.paced.cpu.wallSeconds)} s at ${fmtInt(s.paced.achievedSendEventsPerSecond)}/s; machine busy ${fmt2(s.paced.cpu.machineBusyCores)}, other ${fmt2(s.paced.cpu.otherBusyCores)})`,
    );
    say(cpuTable(s.paced.cpu, s.paced.events));
  }
  if (s.peer) {
    const { aggregate, peer } = s.peer;
    say(`\npeer race: the same ${fmtInt(s.peer.messages)} enriched messages stored from offset 0 (services stopped)`);
    const row = (name: string, r: typeof aggregate) => [
      name,
      fmtInt(r.rows),
      fmtInt(r.eventsPerSecond),
      fmt1(r.secondsTo90),
      fmt2(r.cpuPer10k.clickhouse ?? NaN),
      fmt2((r.cpuPer10k.aggregate ?? 0) + (r.cpuPer10k.clickhouse ?? 0)),
    ];
    say(
      table([
        ['contender', 'rows', 'events/s', 's to 90 %', 'ClickHouse CPU-s / 10k', 'all CPU-s / 10k'],
        row('our aggregate (exactly-once, rollups; one process)', aggregate),
        row('ClickHouse Kafka engine (at-least-once, events only)', peer),
      ]),
    );
  }
  if (s.queries) {
    say(
      `\nreport queries over ${s.queries.period.from}…${s.queries.period.to} (${s.queries.runs} runs each, services stopped)`,
    );
    say(queriesTable(s.queries));
  }
  say('\npeak memory (VmHWM / peak sampled VmRSS, MiB)');
  say(
    table([
      ['process', 'VmHWM', 'peak RSS'],
      ...names.map((n) => [
        n,
        fmt1((s.memory.vmHwmBytes[n] ?? NaN) / MiB),
        fmt1((s.memory.peakRssBytes[n] ?? NaN) / MiB),
      ]),
    ]),
  );
  const byProcess = s.memory.byProcess;
  if (byProcess) {
    const mib = (b: number | undefined) => (b === undefined ? 'n/a' : fmt1(b / MiB));
    say(
      `\nservices' own memory samples, peaks in MiB (--memory${s.options.memoryLive ? '-live: a full GC forced every 3 s, rates not comparable' : ''})`,
    );
    say(
      table([
        ['process', 'RSS', 'V8 heap', 'heap in use', 'Buffers', 'live heap after GC', 'samples'],
        ...Object.entries(byProcess).map(([name, p]) => [
          name,
          mib(p.rss),
          mib(p.heapTotal),
          mib(p.heapUsed),
          mib(p.arrayBuffers),
          mib(p.live),
          String(p.samples),
        ]),
      ]),
    );
  }
  say(
    `\nload average: start ${s.machine.loadAverageAtStart.map(fmt2).join(' ')}, end ${s.machine.loadAverageAtEnd.map(fmt2).join(' ')}`,
  );
}

/** With --replicas, each replicated service's processes added up (comparable with one-process runs). */
function replicaTotals(s: BenchSummary, w: CpuWindow, events: number): string[][] {
  if (s.options.replicas === 1) return [];
  const processes = serviceProcesses(s.options.replicas);
  return REPLICATED.map((service) => {
    const members = membersOf(processes, service);
    const cpu = members.reduce((sum, p) => sum + (w.cpuSeconds[p] ?? 0), 0);
    return [`${service}, all ${members.length}`, fmt1(cpu), fmt2(cpu / w.wallSeconds), fmt2((cpu / events) * 10_000)];
  });
}

/** measure / value / target / verdict rows: issue 10's targets, each a ratio or a cost within this run. */
function targetRows(s: BenchSummary): string[][] {
  const tp = s.throughput;
  const rows: string[][] = [['measure', 'value', 'target', 'verdict']];
  const bareKafka = s.bare?.kafka.eventsPerSecond;
  rows.push([
    'sustained end to end (events/s)',
    fmtInt(tp.sustainedEventsPerSecond),
    bareKafka === undefined ? '' : `≥ ${TARGETS.sustainedVsBareKafka} × bare`,
    bareKafka === undefined
      ? '(bare not measured)'
      : `${verdict(tp.sustainedEventsPerSecond >= TARGETS.sustainedVsBareKafka * bareKafka)} (${fmt2(tp.sustainedEventsPerSecond / bareKafka)} ×)`,
  ]);
  rows.push(['  steady state, stored 10%→90% (events/s)', fmtInt(tp.steadyStateStoredEventsPerSecond10to90), '', '']);
  rows.push(['  ingest accept rate (events/s)', fmtInt(tp.ingestAcceptEventsPerSecond), '', '']);
  const chRow = (label: string, per10k: number) => [
    label,
    fmt2(per10k),
    `≤ ${TARGETS.clickhouseCpuPer10k}`,
    verdict(per10k <= TARGETS.clickhouseCpuPer10k),
  ];
  // Verdicts on each phase with its settling (the merges and folds it left): what its events cost ClickHouse.
  type Phase = ThroughputResult | PacedResult;
  const withSettle = (phase: Phase) => phase.cpuSecondsPer10kEventsWithSettle.clickhouse ?? NaN;
  const phaseAlone = (label: string, phase: Phase) => [
    `  ${label}: the phase alone (${phase.settle.settled ? 'settled' : 'not settled'} ${fmt1(phase.settle.seconds)} s after it)`,
    fmt2(phase.cpuSecondsPer10kEvents.clickhouse ?? NaN),
    '',
    '',
  ];
  rows.push(chRow('ClickHouse CPU-s per 10k events, saturated', withSettle(tp)));
  rows.push(phaseAlone('saturated', tp));
  if (s.paced) {
    rows.push(chRow('ClickHouse CPU-s per 10k events, paced', withSettle(s.paced)));
    rows.push(phaseAlone('paced', s.paced));
    const rate = s.paced.targetEventsPerSecond;
    const p99 = s.paced.latency.fromAckMs?.p99 ?? Infinity;
    rows.push([
      `p99 ingest→queryable at ${fmtInt(rate)}/s (${fmtInt((100 * rate) / tp.sustainedEventsPerSecond)} % of sustained)`,
      fmtMs(s.paced.latency.fromAckMs?.p99),
      `≤ ${fmtMs(TARGETS.p99IngestToQueryableMs)}`,
      verdict(p99 <= TARGETS.p99IngestToQueryableMs),
    ]);
  }
  rows.push([
    'p99 ingest→queryable under saturation',
    fmtMs(tp.latencyUnderSaturation.fromAckMs?.p99),
    '',
    '(backlog included)',
  ]);
  for (const name of serviceProcesses(s.options.replicas)) {
    const hwm = s.memory.vmHwmBytes[name] ?? NaN;
    rows.push([
      `peak RSS ${name} (MiB)`,
      fmt1(hwm / MiB),
      `≤ ${TARGETS.rssPerWorkerBytes / MiB}`,
      verdict(hwm <= TARGETS.rssPerWorkerBytes),
    ]);
  }
  if (s.queries) {
    const slowest = Math.max(...Object.values(s.queries.byQuery).map((q) => q.p95Ms));
    rows.push([
      'slowest report query p95 (ms; this district, not a 50k year)',
      fmtInt(slowest),
      `≤ ${TARGETS.queryP95Ms}`,
      verdict(slowest <= TARGETS.queryP95Ms),
    ]);
  }
  if (s.peer) {
    const ratio = s.peer.aggregate.eventsPerSecond / s.peer.peer.eventsPerSecond;
    rows.push([
      "aggregate ÷ ClickHouse's Kafka engine (peer race, one aggregate process)",
      `${fmt2(ratio)} ×`,
      `≥ ${TARGETS.aggregateVsPeer}`,
      verdict(ratio >= TARGETS.aggregateVsPeer),
    ]);
  }
  if (s.bare) {
    const pipelineVs = (bare: number) => `pipeline = ${fmt2(tp.sustainedEventsPerSecond / bare)} ×`;
    const k = s.bare.kafka.eventsPerSecond;
    const c = s.bare.clickhouse.plain.eventsPerSecond;
    const cv = s.bare.clickhouse.withRollups.eventsPerSecond;
    rows.push(['bare kafkajs produce→consume (events/s)', fmtInt(k), '', pipelineVs(k)]);
    rows.push(['bare ClickHouse INSERT, plain (events/s)', fmtInt(c), '', pipelineVs(c)]);
    rows.push(['bare ClickHouse INSERT + rollup derivation (events/s)', fmtInt(cv), '', pipelineVs(cv)]);
  }
  return rows;
}

/** Where the probes' time went: the three parts of each phase's latency, by the records' timestamps. */
function printProbeHops(s: BenchSummary): void {
  const phases = byPhase<HopSummary | null | undefined>(s, s.probeHops.load, () => s.probeHops.paced);
  if (phases.every(([, h]) => !h)) return;
  say(
    "\nwhere the probes' time went (ms, by the timestamps of their usage.raw and usage.enriched records; the parts' percentiles do not add up)",
  );
  const rows = [['phase', 'part', 'p50', 'p90', 'p99', 'slowest 10 %: mean']];
  for (const [label, h] of phases) {
    if (!h) continue;
    const parts: [string, HopStats][] = [
      ['ingest: raw record made → 202', h.ingestAck],
      ['enrich: 202 → enriched record made', h.ackToEnriched],
      ['aggregate: enriched record → queryable', h.enrichedToQueryable],
    ];
    parts.forEach(([name, p], i) =>
      rows.push([
        i === 0 ? `${label} (${h.probes})` : '',
        name,
        ...[p.p50, p.p90, p.p99, p.slowestTenthMean].map(fmtInt),
      ]),
    );
  }
  say(table(rows));
}

/** The aggregate's own timings per phase (its /metrics histograms, the phase with its settling). */
function printAggregateTimings(s: BenchSummary): void {
  const phases = byPhase<AggregateTimings | null>(s, s.throughput.aggregate, (p) => p.aggregate);
  if (phases.every(([, t]) => t === null)) return;
  const first = s.options.replicas > 1 ? ', its first process' : '';
  say(
    `\nthe aggregate's own timing (its /metrics${first}): batches stored and folded, and how old events were when they became queryable (s from enrich's record; by bucket)`,
  );
  const rows = [['phase', 'batches', 'store ms', 'folds', 'fold ms', 'events', 'age mean', 'p50', 'p90', 'p99']];
  for (const [label, t] of phases) {
    if (t === null) continue;
    rows.push([
      label,
      fmtInt(t.stores),
      fmtInt(t.storeMeanMs),
      fmtInt(t.folds),
      fmtInt(t.foldMeanMs),
      fmtInt(t.events),
      fmt2(t.ageMeanSeconds),
      ...[t.ageP50Seconds, t.ageP90Seconds, t.ageP99Seconds].map((b) => fmtBound(b)),
    ]);
  }
  say(table(rows));
}

/** A figure of each load phase with the phase's row label: the saturated one, and the paced one if it ran. */
function byPhase<T>(s: BenchSummary, saturated: T, paced: (p: PacedResult) => T): [string, T][] {
  const rows: [string, T][] = [['throughput (saturated)', saturated]];
  if (s.paced) rows.push([`paced ${fmtInt(s.paced.targetEventsPerSecond)}/s`, paced(s.paced)]);
  return rows;
}
