import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from '@edusage/logging';

export interface KafkaConfig {
  KAFKA_BROKERS: string[];
  KAFKA_CLIENT_ID: string;
}

const levelNames: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client whose own log lines go through the service's pino logger. */
export function createKafka(config: KafkaConfig, logger: Logger): Kafka {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: config.KAFKA_CLIENT_ID,
    brokers: config.KAFKA_BROKERS,
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...extra } = log;
        // Producer retries are bounded on purpose (a request must fail rather than hang). What kafkajs
        // warns of is real: after a failed send the producer's sequence numbers may be ones the broker
        // already has, so a later send could be acknowledged and not written. createProducer's producers
        // are renewed after a failed send (renewed-producer.ts), so the warning is noise here.
        if (message.startsWith('Limiting retries for the idempotent producer')) return;
        kafkaLogger[levelNames[level] ?? 'info'](extra, message);
      },
  });
}
