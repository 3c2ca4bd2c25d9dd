import type { Redis } from 'ioredis';
import type { ClickHouseClient } from '@edusage/clickhouse';
import { endOffsets, uncommittedBefore, type Kafka } from '@edusage/kafka';
import { addErased } from './erased-list';
import { erasedPseudonyms, unfinishedRequests } from './erase-stored';

/**
 * The two waits that make an erasure final (docs/ARCHITECTURE.md "Erasing a person"): enrich must have
 * the people in its list, and the aggregate must have stored what was enriched before that. Used by
 * `people erase` and by the jobs service's sweep of requests left unfinished.
 */

export interface ErasedListScope {
  ch: ClickHouseClient;
  redis: Redis;
  redisPrefix: string;
}

/**
 * Writes the district's erased pseudonyms from the record (`person_erasures`) into enrich's list in
 * Redis (a Redis that lost the list gets it back) and returns the district's unfinished requests, read
 * just before: each of them has its people in the list from now on.
 */
export async function restoreErasedList(o: ErasedListScope, districtId: string): Promise<string[]> {
  const unfinished = (await unfinishedRequests(o.ch, districtId)).get(districtId) ?? [];
  await addErased(o.redis, o.redisPrefix, districtId, await erasedPseudonyms(o.ch, districtId));
  return unfinished;
}

export interface CatchUpOptions {
  kafka: Kafka;
  /** How often enrich reads the list again (ENRICH_RELOAD_INTERVAL_MS): waited twice first. */
  enrichReloadMs: number;
  /** usage.enriched (with its prefix) and the aggregate's consumer group. */
  enrichedTopic: string;
  aggregateGroupId: string;
  timeoutMs: number;
  onProgress?: (line: string) => void;
}

/**
 * Called right after the list was written: waits until enrich has read it (two of its reload
 * intervals), then until the aggregate has stored (committed) every message on usage.enriched at that
 * moment (the end offsets are read once, so a busy topic's later messages do not hold it up); none of the
 * listed people's events is on its way after it. Returns the messages still not stored at the timeout
 * (0: caught up).
 */
export async function aggregateCaughtUp(o: CatchUpOptions): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 2 * o.enrichReloadMs));
  const until = await endOffsets(o.kafka, o.enrichedTopic);
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const left = await uncommittedBefore(o.kafka, o.aggregateGroupId, o.enrichedTopic, until);
    if (left === 0 || Date.now() > deadline) return left;
    o.onProgress?.(`waiting for the aggregate to store ${left} message(s) on ${o.enrichedTopic}…`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
