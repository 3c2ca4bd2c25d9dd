import { SCHEMA_MIGRATIONS_DIR, queryRows, sqlString } from '@edusage/clickhouse';
import { bareClickHouse, bareKafka, rawMessagesOf, type BareResult } from '../bare-limits';
import { DISTRICT, type BenchContext } from '../context';
import { timedPhase, type CpuWindow } from '../proc';
import { fmtInt, say } from '../report';
import type { BenchRig } from '../rig';
import type { BenchData } from './reset';

export interface BareLimitsResult {
  kafka: BareResult & { cpu: CpuWindow };
  clickhouse: { plain: BareResult; withRollups: BareResult; cpu: CpuWindow };
}

/**
 * Phase 8 (services stopped; skipped with --no-bare): what Kafka alone and ClickHouse alone take on
 * this machine with the same events, the sink's average batch size and its concurrency.
 */
export async function runBareLimits(
  ctx: BenchContext,
  data: BenchData,
  rig: BenchRig,
  events: number,
  sinkRowsPerInsert: number,
): Promise<BareLimitsResult | undefined> {
  const { opts, config } = ctx;
  if (!opts.bare) return undefined;
  say(`[9/9] bare limits with the same ${fmtInt(events)} events (services stopped)`);
  const messages = rawMessagesOf(data.bodies, events);
  const kafkaRun = await timedPhase(rig.sampler, () =>
    bareKafka(ctx.kafka, `${config.KAFKA_TOPIC_PREFIX}bare`, config.KAFKA_PARTITIONS, messages, {
      batchSize: opts.batchSize,
      concurrency: opts.concurrency,
      onProgress: (p, c) => say(`      kafka: produced ${fmtInt(p)}, consumed ${fmtInt(c)}`),
    }),
  );
  say(
    `      kafkajs produce→consume: ${fmtInt(kafkaRun.value.eventsPerSecond)} events/s (produce alone ${fmtInt(Number(kafkaRun.value.detail.produceOnlyEventsPerSecond))}/s)`,
  );
  const rows = await queryRows<object>(
    rig.db,
    `SELECT * FROM usage_events WHERE district_id = ${sqlString(DISTRICT)} LIMIT ${Math.floor(events)}`,
  );
  const batchSize = Number.isFinite(sinkRowsPerInsert) ? Math.max(1, Math.round(sinkRowsPerInsert)) : 5000;
  const concurrency = Number(process.env.AGGREGATE_CONCURRENCY ?? 3);
  const chRun = await timedPhase(rig.sampler, () =>
    bareClickHouse(config, SCHEMA_MIGRATIONS_DIR, `${config.CLICKHOUSE_DATABASE}_bare`, rows, {
      batchSize,
      concurrency,
    }),
  );
  say(
    `      ClickHouse INSERT (JSONEachRow, ${fmtInt(batchSize)} rows, ${concurrency} at a time): ${fmtInt(chRun.value.plain.eventsPerSecond)} events/s plain table, ${fmtInt(chRun.value.withRollups.eventsPerSecond)} events/s into usage_events with the rollup derivation`,
  );
  return {
    kafka: { ...kafkaRun.value, cpu: kafkaRun.cpu },
    clickhouse: { plain: chRun.value.plain, withRollups: chRun.value.withRollups, cpu: chRun.cpu },
  };
}
