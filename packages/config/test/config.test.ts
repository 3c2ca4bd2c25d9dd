import { ConfigError, baseConfigSchema, loadConfig, topicNames } from '../src';

describe('loadConfig', () => {
  it('gives defaults that match the local stack', () => {
    const config = loadConfig(baseConfigSchema, {});
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(config.CLICKHOUSE_DATABASE).toBe('edusage');
  });

  it('names every variable that is wrong', () => {
    let error: unknown;
    try {
      loadConfig(baseConfigSchema, {
        CLICKHOUSE_URL: 'not a url',
        KAFKA_PARTITIONS: '0',
        CLICKHOUSE_DATABASE: 'x;DROP',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const variables = (error as ConfigError).problems.map((p) => p.variable).sort();
    expect(variables).toEqual(['CLICKHOUSE_DATABASE', 'CLICKHOUSE_URL', 'KAFKA_PARTITIONS']);
    expect((error as Error).message).toMatch(/CLICKHOUSE_URL/);
  });

  it('splits broker lists', () => {
    expect(loadConfig(baseConfigSchema, { KAFKA_BROKERS: 'a:1, b:2' }).KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
  });

  it('prefixes topic names', () => {
    expect(topicNames('t.x.')).toEqual({ raw: 't.x.usage.raw', enriched: 't.x.usage.enriched', dlq: 't.x.usage.dlq' });
  });
});
