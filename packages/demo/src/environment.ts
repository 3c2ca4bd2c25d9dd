import { SAMPLE_PSEUDONYM_KEY } from './pipeline';

/**
 * The demo's consumer groups: never the defaults a deployment on the same stack uses (a member of
 * another's group would take a share of its partitions and leave both pipelines stalled).
 */
export const DEMO_GROUP_IDS = { ENRICH_GROUP_ID: 'edusage-demo-enrich', AGGREGATE_GROUP_ID: 'edusage-demo-aggregate' };

/**
 * The environment the demo and its services run with: the caller's, with the demo's own keyspace.
 * The demo keeps to a database, topics, consumer groups and Redis keys of its own, reset at every run, so its
 * figures never mix with real data or with an earlier run.
 */
export function demoEnvironment(districtId: string): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    CLICKHOUSE_DATABASE: process.env.DEMO_CLICKHOUSE_DATABASE ?? 'edusage_demo',
    KAFKA_TOPIC_PREFIX: 'demo.',
    REDIS_KEY_PREFIX: 'edusage-demo:',
    ...DEMO_GROUP_IDS,
    PSEUDONYM_KEY: process.env.PSEUDONYM_KEY ?? SAMPLE_PSEUDONYM_KEY,
    DISTRICT_TIMEZONES: process.env.DISTRICT_TIMEZONES ?? `${districtId}=America/Chicago`,
    INGEST_PORT: process.env.INGEST_PORT ?? '8080',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  };
}
