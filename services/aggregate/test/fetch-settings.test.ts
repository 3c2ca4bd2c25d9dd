/**
 * AGGREGATE_FETCH_MAX_BYTES (one fetch's total, kafkajs' maxBytes) is checked at start and reaches
 * kafkajs; left unset, kafkajs keeps its own default. Pure: the consumer factory is given a stand-in
 * Kafka that records the settings (the benchmark measured the setting's effect on the real broker).
 */
import type { Kafka } from 'kafkajs';
import { createConsumer } from '@edusage/kafka';
import { loadAggregateConfig } from '../src/config';

test('the setting is validated and named when wrong', () => {
  expect(loadAggregateConfig({}).AGGREGATE_FETCH_MAX_BYTES).toBe(10 * 1024 * 1024);
  expect(loadAggregateConfig({ AGGREGATE_FETCH_MAX_BYTES: '2097152' }).AGGREGATE_FETCH_MAX_BYTES).toBe(2_097_152);
  expect(() => loadAggregateConfig({ AGGREGATE_FETCH_MAX_BYTES: '1000' })).toThrow(/AGGREGATE_FETCH_MAX_BYTES/);
  expect(() => loadAggregateConfig({ AGGREGATE_FETCH_MAX_BYTES: 'lots' })).toThrow(/AGGREGATE_FETCH_MAX_BYTES/);
});

test('createConsumer passes maxBytes to kafkajs only when given', async () => {
  const seen: Record<string, unknown>[] = [];
  const kafka = {
    consumer: (settings: Record<string, unknown>) => {
      seen.push(settings);
      return { connect: async () => undefined };
    },
  } as unknown as Kafka;
  await createConsumer(kafka, 'g', { maxBytes: 2_097_152, maxBytesPerPartition: 1_048_576 });
  await createConsumer(kafka, 'g');
  expect(seen[0]).toMatchObject({ maxBytes: 2_097_152, maxBytesPerPartition: 1_048_576 });
  expect(seen[1]).not.toHaveProperty('maxBytes');
});
