export { createKafka, type KafkaConfig } from './client';
export { ensureTopics, deleteTopics, waitTopicsGone } from './topics';
export { createProducer, produceJson, type JsonMessage, type ProduceOptions } from './producer';
export {
  KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
  RecordTooLargeError,
  chunkByBytes,
  isTooLargeError,
  produceBudget,
  readMaxMessageBytes,
  recordBytes,
  type SizedRecord,
} from './limits';
export { createConsumer, type ConsumerOptions } from './consumer';
export { kafkaHealth } from './health';
export { consumerLag } from './lag';
export { readTopicToEnd, type TopicRecord, type ReadToEndResult } from './read-to-end';
export type { Kafka, Producer, Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
export { monitorConsumer, type ConsumerMonitor, type ConsumerMonitorOptions } from './monitor';
