import { Queue, Worker, type Processor } from 'bullmq';
import { Redis } from 'ioredis';
import type { JobsConfig } from './config';

/** BullMQ keys live under the deployment's REDIS_KEY_PREFIX (`<prefix>bull:<queue>:…`). */
export const bullPrefix = (config: Pick<JobsConfig, 'REDIS_KEY_PREFIX'>) => `${config.REDIS_KEY_PREFIX}bull`;

/** A connection as BullMQ workers need it: commands wait for a reconnect instead of failing. */
export const bullConnection = (config: Pick<JobsConfig, 'REDIS_URL'>) =>
  new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });

/**
 * How a run of a scheduled job is retried and kept: the schedulers' runs and a one-off run of the same
 * work (the start-up compaction) alike.
 */
export function retriedJobOptions(o: { attempts: number; backoffMs: number }) {
  return {
    attempts: o.attempts,
    backoff: { type: 'exponential' as const, delay: o.backoffMs },
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 5000 },
  };
}

export function createQueue(config: JobsConfig, connection: Redis): Queue {
  return new Queue(config.JOBS_QUEUE, { connection, prefix: bullPrefix(config) });
}

export function createWorker(config: JobsConfig, connection: Redis, processor: Processor): Worker {
  return new Worker(config.JOBS_QUEUE, processor, {
    connection,
    prefix: bullPrefix(config),
    concurrency: config.JOBS_CONCURRENCY,
    lockDuration: config.JOBS_LOCK_MS,
    stalledInterval: config.JOBS_LOCK_MS,
    autorun: false,
  });
}

/** PING with a deadline (a command on a BullMQ connection otherwise waits for Redis forever). */
export async function redisReachable(redis: Redis, timeoutMs = 2_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([redis.ping().then((r) => r === 'PONG'), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
