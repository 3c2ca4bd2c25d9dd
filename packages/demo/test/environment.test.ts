import { demoEnvironment } from '../src/environment';

// The defaults a deployment's services use on the same stack (services/*/src/config.ts). The demo must
// keep out of every one of them: a demo worker in a deployment's consumer group would take a share of
// its partitions, and its topics, keys or database would mix the sample into real figures.
const DEPLOYMENT_DEFAULTS: Record<string, string> = {
  ENRICH_GROUP_ID: 'edusage-enrich',
  AGGREGATE_GROUP_ID: 'edusage-aggregate',
  CLICKHOUSE_DATABASE: 'edusage',
  KAFKA_TOPIC_PREFIX: '',
  REDIS_KEY_PREFIX: 'edusage:',
};

test("the demo's keyspace shares nothing with a deployment's defaults", () => {
  const env = demoEnvironment('d1');
  for (const [name, deployment] of Object.entries(DEPLOYMENT_DEFAULTS)) {
    expect({ name, value: env[name] }).toEqual({ name, value: expect.any(String) });
    expect({ name, value: env[name] }).not.toEqual({ name, value: deployment });
  }
});
