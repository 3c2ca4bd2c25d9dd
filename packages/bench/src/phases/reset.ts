import { rmSync } from 'node:fs';
import path from 'node:path';
import { createApiKeys, loadDistrictReferenceData, resetSampleData } from '@edusage/demo';
import { writeDistrict, type SampleDistrict } from '@edusage/generator';
import { topicReplication } from '@edusage/config';
import { ensureTopics } from '@edusage/kafka';
import { DISTRICT, PROBE_DISTRICT, type BenchContext } from '../context';
import { benchDistrict } from '../district';
import { readBodies, type Body } from '../load';
import { fmtInt, say, secs } from '../report';

/** The load: the generated district, its events cut into request bodies, and the API keys to send them with. */
export interface BenchData {
  district: SampleDistrict;
  days: number;
  bodies: Body[];
  totalEvents: number;
  /** API keys of the load's district by source. */
  keys: Record<string, string>;
  /** API key of the probes' district. */
  probeKey: string;
}

/** Phases 1–2: empties the benchmark's own database, topics, Redis keys and groups, then generates and loads the data. */
export async function resetAndGenerate(ctx: BenchContext): Promise<BenchData> {
  const { opts, config, env } = ctx;
  let t = Date.now();
  say(
    `\n[1/9] resetting database ${config.CLICKHOUSE_DATABASE}, topics ${config.KAFKA_TOPIC_PREFIX}usage.*, Redis ${config.REDIS_KEY_PREFIX}*`,
  );
  await resetSampleData(ctx.kafka, config, {
    extraTopics: [`${config.KAFKA_TOPIC_PREFIX}bare`],
    groupIds: [ctx.enrichGroupId, ctx.aggregateGroupId],
  });
  await ensureTopics(
    ctx.kafka,
    [ctx.topics.raw, ctx.topics.enriched, ctx.topics.dlq],
    config.KAFKA_PARTITIONS,
    topicReplication(config),
  );

  const { district, days } = benchDistrict(opts.seed, DISTRICT, opts.events);
  const dataDir = path.join(ctx.workDir, `data-seed-${opts.seed}-days-${days}`);
  rmSync(dataDir, { recursive: true, force: true });
  const files = await writeDistrict(district, dataDir, { truth: false });
  const bodies = await readBodies(files.native, opts.events, opts.batchSize);
  const totalEvents = bodies.reduce((a, b) => a + b.events, 0);
  say(
    `[1/9] generated district ${DISTRICT}: ${district.roster.users.length} users, ${days} days; ${fmtInt(totalEvents)} native events in ${bodies.length} NDJSON requests of ≤ ${opts.batchSize} (${(bodies.reduce((a, b) => a + b.text.length, 0) / totalEvents).toFixed(0)} bytes/event) in ${secs(t)}`,
  );
  if (totalEvents < opts.events) say(`      note: the generated file had only ${totalEvents} native events`);

  t = Date.now();
  await loadDistrictReferenceData(env, DISTRICT, files);
  const keys = await createApiKeys(env, DISTRICT, ['agent', 'extension']);
  const probeKey = (await createApiKeys(env, PROBE_DISTRICT, ['agent'])).agent!;
  say(`[2/9] imported roster and app catalog, created API keys in ${secs(t)}`);
  return { district, days, bodies, totalEvents, keys, probeKey };
}
