export { createKafka, type KafkaConfig } from './client';
export { ensureTopics, deleteTopics } from './topics';
export { createProducer, produceJson, type JsonMessage } from './producer';
export { createConsumer, type ConsumerOptions } from './consumer';
export { kafkaHealth } from './health';
export { readTopicToEnd, type TopicRecord, type ReadToEndResult } from './read-to-end';
export type { Kafka, Producer, Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
