import path from 'node:path';
import { command, createClickHouse, queryRows, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { LocalPipeline, REPO_ROOT } from '@edusage/demo';
import { topicMessageCount, type Kafka } from '@edusage/kafka';
import type { BenchContext } from '../context';
import { ProcessSampler, cpuWindow, perTenK, stackPids, type CpuWindow } from '../proc';
import { fmt2, fmtInt, say } from '../report';

/** One contender of the race: what it stored, how fast, and the CPU it and ClickHouse used. */
export interface RaceRun {
  rows: number;
  seconds: number;
  eventsPerSecond: number;
  /** Seconds until 90 % of the rows were stored (the peer flushes its last block after an idle interval). */
  secondsTo90: number;
  cpu: CpuWindow;
  cpuPer10k: Record<string, number>;
}

export interface PeerResult {
  messages: number;
  aggregate: RaceRun;
  peer: RaceRun;
}

/** The stored events' columns the peer fills from the enriched JSON (18.16's visitParam functions, no nested objects). */
const PEER_COLUMNS = `
  visitParamExtractString(line, 'district_id') AS district_id,
  toDate(visitParamExtractString(line, 'local_date')) AS local_date,
  parseDateTimeBestEffort(visitParamExtractString(line, 'occurred_at')) AS occurred_at,
  visitParamExtractString(line, 'school_id') AS school_id,
  visitParamExtractString(line, 'class_id') AS class_id,
  CAST(visitParamExtractString(line, 'class_attribution'), 'Enum8(\\'none\\' = 0, \\'explicit\\' = 1, \\'inferred\\' = 2)') AS class_attribution,
  visitParamExtractString(line, 'person_id') AS person_id,
  toUInt8(visitParamExtractRaw(line, 'person_resolved') = 'true') AS person_resolved,
  visitParamExtractString(line, 'role') AS role,
  visitParamExtractString(line, 'app_id') AS app_id,
  toUInt8(visitParamExtractRaw(line, 'app_resolved') = 'true') AS app_resolved,
  visitParamExtractString(line, 'app_domain') AS app_domain,
  visitParamExtractString(line, 'source') AS source,
  visitParamExtractString(line, 'type') AS event_type,
  CAST(visitParamExtractString(line, 'campus'), 'Enum8(\\'unknown\\' = 0, \\'on\\' = 1, \\'off\\' = 2)') AS campus,
  toUInt32(visitParamExtractUInt(line, 'explicit_seconds')) AS explicit_seconds,
  toUInt8(visitParamExtractRaw(line, 'counts_minute') = 'true') AS counts_minute,
  visitParamExtractString(line, 'event_id') AS event_id,
  visitParamExtractString(line, 'dedup_key') AS dedup_key`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function countOf(ch: ClickHouseClient, table: string): Promise<number> {
  const [row] = await queryRows<{ n: string }>(ch, `SELECT count() AS n FROM ${table}`);
  return Number(row?.n ?? 0);
}

/** Polls `table` until it holds `target` rows (or `timeoutMs`); CPU measured from `sampler` meanwhile. */
async function timeUntil(
  ch: ClickHouseClient,
  table: string,
  target: number,
  sampler: ProcessSampler,
  timeoutMs: number,
  label: string,
): Promise<RaceRun> {
  const from = sampler.snapshot();
  let rows = 0;
  let at90 = NaN;
  let lastSay = 0;
  const deadline = from.at + timeoutMs;
  while (rows < target && Date.now() < deadline) {
    await sleep(250);
    rows = await countOf(ch, table);
    if (Number.isNaN(at90) && rows >= 0.9 * target) at90 = (Date.now() - from.at) / 1000;
    if (Date.now() - lastSay > 5_000) {
      lastSay = Date.now();
      say(`      ${label}: ${fmtInt(rows)} / ${fmtInt(target)} rows`);
    }
  }
  const cpu = cpuWindow(from, sampler.snapshot());
  const seconds = cpu.wallSeconds;
  if (rows < target) say(`      ${label}: stopped waiting after ${fmtInt(timeoutMs / 1000)} s at ${fmtInt(rows)} rows`);
  return { rows, seconds, eventsPerSecond: rows / seconds, secondsTo90: at90, cpu, cpuPer10k: perTenK(cpu, rows) };
}

/** Waits until the aggregate service has created and migrated its database (it does so at start). */
async function untilMigrated(ch: ClickHouseClient, database: string, alive: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 120_000; ;) {
    const rows = await queryRows<{ n: string }>(
      ch,
      `SELECT count() AS n FROM system.tables WHERE database = ${sqlString(database)} AND name = 'rollup_watermarks'`,
    );
    if (Number(rows[0]?.n ?? 0) > 0) return;
    if (!alive())
      throw new Error('the aggregate service of the race exited during start-up (see its log under logs/race)');
    if (Date.now() > deadline) throw new Error(`the aggregate service did not create ${database} within 120 s`);
    await sleep(200);
  }
}

/** Commits offset 0 of every partition for a new group, so a consumer of that group reads the topic from the start. */
async function groupFromStart(kafka: Kafka, groupId: string, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.setOffsets({
      groupId,
      topic,
      partitions: Array.from({ length: partitions }, (_, partition) => ({ partition, offset: '0' })),
    });
  } finally {
    await admin.disconnect();
  }
}

/**
 * The peer race (services stopped, `usage.enriched` holds every event of the run: load, paced phase, probes): the same enriched events
 * stored twice, one contender after the other, each from offset 0 of the topic into a database of its own.
 *  - ours: the aggregate service alone (exactly-once: claims, stored-offset check, three rollup levels);
 *  - the peer: ClickHouse's own Kafka table engine (`kafka_format = 'TSV'`, one JSON line per row, parsed
 *    by ClickHouse) with a materialized view into a usage_events-shaped table (at-least-once, no rollups).
 *    18.16 joins a partition's messages into one text unless `kafka_row_delimiter` ends each (without it
 *    the engine stored 2 rows of 40k messages).
 */
export async function runPeerRace(ctx: BenchContext, step: string): Promise<PeerResult> {
  const { config } = ctx;
  const topic = ctx.topics.enriched;
  const { messages, partitions } = await topicMessageCount(ctx.kafka, topic);
  say(
    `${step} peer race: ${fmtInt(messages)} messages of ${topic}, stored by our aggregate, then by ClickHouse's Kafka engine`,
  );
  const stamp = Date.now().toString(36);
  const raceDb = `${config.CLICKHOUSE_DATABASE}_race`;
  const admin = createClickHouse(config, 'default');
  const stack = stackPids(REPO_ROOT);
  try {
    // Everything the run stored (load, paced phase and probes): what exactly-once must store again.
    const storedEvents = await countOf(admin, `${config.CLICKHOUSE_DATABASE}.usage_events`);
    await command(admin, `DROP DATABASE IF EXISTS ${raceDb}`);

    // Ours: the aggregate alone, a new group from the start, a fresh database (migrated by the service).
    const pipeline = new LocalPipeline(
      { ...ctx.env, CLICKHOUSE_DATABASE: raceDb, AGGREGATE_GROUP_ID: `${ctx.aggregateGroupId}-race-${stamp}` },
      path.join(ctx.workDir, 'logs', 'race'),
      ctx.opts.v8Defaults,
    );
    const sampler = new ProcessSampler(() => ({ aggregate: pipeline.pid('aggregate'), ...stack }));
    pipeline.start('aggregate');
    const race = createClickHouse(config, raceDb);
    let aggregate: RaceRun;
    try {
      await untilMigrated(admin, raceDb, () => pipeline.pid('aggregate') !== undefined);
      aggregate = await timeUntil(race, 'usage_events', storedEvents, sampler, 600_000, 'aggregate');
    } finally {
      await pipeline.stopAll();
    }

    // The peer: a usage_events-shaped table, the Kafka engine table and the view between them.
    const group = `${ctx.opts.namespace}-peer-${stamp}`;
    await groupFromStart(ctx.kafka, group, topic, partitions);
    await command(race, `CREATE TABLE peer_events AS usage_events`);
    const peerSampler = new ProcessSampler(() => ({ ...stack }));
    await command(
      race,
      `CREATE TABLE peer_queue (line String) ENGINE = Kafka SETTINGS
         kafka_broker_list = ${sqlString(config.KAFKA_BROKERS.join(','))}, kafka_topic_list = ${sqlString(topic)},
         kafka_group_name = ${sqlString(group)}, kafka_format = 'TSV', kafka_row_delimiter = '\\n',
         kafka_num_consumers = ${Math.min(partitions, 2)}`,
    );
    let peer: RaceRun;
    try {
      await command(
        race,
        `CREATE MATERIALIZED VIEW peer_view TO peer_events AS
         SELECT ${PEER_COLUMNS}, ${sqlString(topic)} AS kafka_topic, toUInt32(0) AS kafka_partition,
                toUInt64(0) AS kafka_offset, now() AS stored_at
         FROM peer_queue WHERE line != ''`,
      );
      peer = await timeUntil(race, 'peer_events', messages, peerSampler, 600_000, 'peer');
    } finally {
      await command(race, 'DROP TABLE IF EXISTS peer_view');
      await command(race, 'DROP TABLE IF EXISTS peer_queue');
      await race.close();
    }
    say(
      `      aggregate (exactly-once, with rollups): ${fmtInt(aggregate.eventsPerSecond)} events/s, ClickHouse ${fmt2(aggregate.cpuPer10k.clickhouse ?? NaN)} CPU-s per 10k`,
    );
    say(
      `      ClickHouse Kafka engine (at-least-once, events only): ${fmtInt(peer.eventsPerSecond)} events/s (90 % in ${fmt2(peer.secondsTo90)} s), ClickHouse ${fmt2(peer.cpuPer10k.clickhouse ?? NaN)} CPU-s per 10k`,
    );
    return { messages, aggregate, peer };
  } finally {
    await command(admin, `DROP DATABASE IF EXISTS ${raceDb}`).catch(() => undefined);
    await admin.close();
  }
}
