export { createKafka, type KafkaConfig } from './client';
export {
  ensureTopics,
  deleteTopics,
  waitTopicsGone,
  recreateTopics,
  topicMessageCount,
  SINGLE_REPLICA,
} from './topics';
export { murmur2, partitionOfKey, keepSetPartition } from './partition';
export { createProducer, produceJson, type JsonMessage, type ProduceOptions } from './producer';
export { partitionCount, sendAcknowledged, type TopicMessages } from './acknowledged-send';
export { producersMade } from './renewed-producer';
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
export { consumerLag, endOffsets, uncommittedBefore, lagErrorText, type EndOffsets } from './lag';
export { readTopicToEnd, type TopicRecord, type ReadToEndResult } from './read-to-end';
export type { Kafka, Producer, Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
export { monitorConsumer, type ConsumerMonitor, type ConsumerMonitorOptions } from './monitor';
