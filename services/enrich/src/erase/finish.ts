import { utcDateTime, type DeletionWaitOptions } from '@edusage/clickhouse';
import { aggregateCaughtUp, restoreErasedList, type CatchUpOptions, type ErasedListScope } from './catch-up';
import { markFinished, removeStored, unfinishedRequests } from './erase-stored';

export interface FinishOptions extends ErasedListScope, Omit<CatchUpOptions, 'timeoutMs'> {
  /** How often enrich reads the list again (ENRICH_RELOAD_INTERVAL_MS): waited twice before looking at Kafka. */
  enrichReloadMs: number;
  catchUpTimeoutMs: number;
  /** What `finished_by` names for the requests this finishes (`people erasures` shows it). */
  finishedBy: string;
  deletion?: DeletionWaitOptions;
}

/** `finished_by` of the requests a sweep finished, and how `people erasures` says who finished a request. */
export const sweepFinisher = (at: Date) => `sweep@${utcDateTime(at)}`;
export const describeFinisher = (by: string) =>
  by.startsWith('sweep@') ? `the jobs service's erasure sweep of ${by.slice('sweep@'.length)} UTC` : `request ${by}`;

export interface FinishedDistrict {
  districtId: string;
  /** The requests marked finished (oldest first). */
  requests: string[];
  refoldedRanges: number;
}

export interface FinishResult {
  districts: FinishedDistrict[];
  /** Messages on usage.enriched the aggregate had not stored when the wait ended (then nothing was finished). */
  notYetStored: number;
}

/**
 * Finishes every erasure request left unfinished (its command stopped midway, or the aggregate had not
 * caught up in time): the same waits and removal as `people erase`, for all districts at once. Requests
 * recorded while this runs are left to their own command or the next run. Run by the jobs service's
 * `erasure-sweep`; safe beside a `people erase` and beside another sweep (removeStored).
 */
export async function finishErasures(o: FinishOptions): Promise<FinishResult> {
  const pending = await unfinishedRequests(o.ch);
  if (pending.size === 0) return { districts: [], notYetStored: 0 };
  const covered = new Map<string, string[]>();
  for (const districtId of pending.keys()) covered.set(districtId, await restoreErasedList(o, districtId));
  await new Promise((resolve) => setTimeout(resolve, 2 * o.enrichReloadMs));
  const notYetStored = await aggregateCaughtUp({ ...o, timeoutMs: o.catchUpTimeoutMs });
  if (notYetStored > 0) return { districts: [], notYetStored };

  const districts: FinishedDistrict[] = [];
  for (const [districtId, requests] of covered) {
    if (requests.length === 0) continue; // finished meanwhile by its own command
    o.onProgress?.(`district ${districtId}: finishing ${requests.length} erasure request(s)…`);
    // Offsets are recorded under the oldest of them: the re-fold reads every unfinished request's.
    const removed = await removeStored({ ...o, districtId, requestId: requests[0]! });
    const finished = removed.requests.filter((r) => requests.includes(r));
    await markFinished(o.ch, districtId, finished, o.finishedBy);
    districts.push({ districtId, requests: finished, refoldedRanges: removed.refoldedRanges });
  }
  return { districts, notYetStored: 0 };
}
