export { createTestEnv, type TestEnv } from './test-env';
export { repoRoot, migrationsDir, fixturesDir } from './paths';
export { waitFor } from './wait-for';
export { startPrivateClickHouse, type PrivateClickHouse } from './private-clickhouse';
export { freePort, ephemeralLow } from './free-port';
export { startCurrentClickHouse, chdbPython, type CurrentClickHouse } from './current-clickhouse';
export { startPrivateRedis, type PrivateRedis } from './private-redis';
export {
  startPrivateKafka,
  startPrivateKafkaCluster,
  kafkaLibDir,
  type PrivateKafka,
  type PrivateKafkaCluster,
} from './private-kafka';
export { onTestClickHouse, onCurrentClickHouse } from './each-clickhouse';
export { assessmentRow } from './assessment-rows';
