import { ConfigError, baseConfigSchema, loadConfig, topicNames, topicReplication } from '../src';

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

describe('topicReplication', () => {
  const replication = (env: Record<string, string>) => topicReplication(loadConfig(baseConfigSchema, env));

  it('is one replica on the single local broker by default', () => {
    expect(replication({})).toEqual({ replicationFactor: 1, minInsyncReplicas: 1 });
  });

  it('asks two in-sync replicas of three, so one broker may fail', () => {
    expect(replication({ KAFKA_REPLICATION_FACTOR: '3' })).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
    expect(replication({ KAFKA_REPLICATION_FACTOR: '2' })).toEqual({ replicationFactor: 2, minInsyncReplicas: 1 });
    expect(replication({ KAFKA_REPLICATION_FACTOR: '5', KAFKA_MIN_INSYNC_REPLICAS: '3' })).toEqual({
      replicationFactor: 5,
      minInsyncReplicas: 3,
    });
  });

  it('refuses a minimum no write could meet, naming the variable', () => {
    expect(() => replication({ KAFKA_MIN_INSYNC_REPLICAS: '2' })).toThrow(ConfigError);
    expect(() => replication({ KAFKA_MIN_INSYNC_REPLICAS: '2' })).toThrow(
      /KAFKA_MIN_INSYNC_REPLICAS: 2 is above KAFKA_REPLICATION_FACTOR \(1\)/,
    );
    expect(() => loadConfig(baseConfigSchema, { KAFKA_REPLICATION_FACTOR: '0' })).toThrow(/KAFKA_REPLICATION_FACTOR/);
  });
});
