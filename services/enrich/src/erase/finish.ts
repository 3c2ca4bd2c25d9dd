import { randomBytes } from 'node:crypto';
import { queryRows, sqlList, sqlString, utcDateTime, type DeletionWaitOptions } from '@edusage/clickhouse';
import { aggregateCaughtUp, restoreErasedList, type CatchUpOptions, type ErasedListScope } from './catch-up';
import { countStored, markFinished, recordRequest, removeStored, unfinishedRequests } from './erase-stored';
import type { NamedPerson } from './people';

export interface FinishOptions extends ErasedListScope, Omit<CatchUpOptions, 'timeoutMs'> {
  /** How often enrich reads the list again (ENRICH_RELOAD_INTERVAL_MS): waited twice before looking at Kafka. */
  enrichReloadMs: number;
  catchUpTimeoutMs: number;
  deletion?: DeletionWaitOptions;
}

export interface FinishedDistrict {
  districtId: string;
  /** The sweep's own request, which asked again for the people of `requests`. */
  request: string;
  /** The unfinished requests it finished (oldest first). */
  requests: string[];
  events: number;
  results: number;
  refoldedRanges: number;
}

export interface FinishResult {
  districts: FinishedDistrict[];
  /** Messages on usage.enriched the aggregate had not stored when the wait ended (then nothing was finished). */
  notYetStored: number;
}

const SWEEP_PREFIX = 'sweep-';

/** How `people erasures` names the run that finished a request. */
export const describeFinisher = (by: string) =>
  by.startsWith(SWEEP_PREFIX) ? `the jobs service's erasure sweep (request ${by})` : `request ${by}`;

/** Whether a request is a sweep's own (it asked again for earlier unfinished requests' people). */
export const isSweepRequest = (requestId: string) => requestId.startsWith(SWEEP_PREFIX);

/**
 * Finishes every erasure request left unfinished (its command stopped midway, or the aggregate had not
 * caught up in time), in all districts: the same waits as `people erase` for the requests unfinished
 * when their lists were written again to Redis; then, per district, one request of its own naming their
 * people goes through `people erase`'s removal, and the requests it covered are marked finished by it.
 * Run by the jobs service's `erasure-sweep`; safe beside a `people erase` and beside another sweep.
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
    districts.push(await finishDistrict(o, districtId, requests));
  }
  return { districts, notYetStored: 0 };
}

/**
 * One district's covered requests, asked again as one request of the sweep's own: its offsets are
 * recorded under its own id, so a sweep stopped anywhere leaves a request of its own unfinished for the
 * next run (whatever happens meanwhile to the requests it covers), as a stopped `people erase` does.
 */
async function finishDistrict(o: FinishOptions, districtId: string, requests: string[]): Promise<FinishedDistrict> {
  o.onProgress?.(`district ${districtId}: finishing ${requests.length} erasure request(s)…`);
  const people = await peopleOf(o, districtId, requests);
  const now = new Date();
  const request = {
    districtId,
    requestId: `${SWEEP_PREFIX}${now.getTime()}-${randomBytes(4).toString('hex')}`,
    requestedAt: utcDateTime(now),
  };
  await recordRequest(
    o.ch,
    { ...request, finished: 0 },
    people.map((p) => ({ ...p, events: 0, results: 0 })),
  );
  const counted = await countStored(o.ch, districtId, people, o.onProgress);
  const removed = await removeStored({ ...o, districtId, requestId: request.requestId });
  await recordRequest(o.ch, { ...request, finished: 1 }, counted);
  const finished = removed.requests.filter((r) => requests.includes(r));
  await markFinished(o.ch, districtId, finished, request.requestId);
  return {
    districtId,
    request: request.requestId,
    requests: finished,
    events: counted.reduce((n, p) => n + p.events, 0),
    results: counted.reduce((n, p) => n + p.results, 0),
    refoldedRanges: removed.refoldedRanges,
  };
}

/** The people (their pseudonyms, one entry a person) of unfinished requests. */
async function peopleOf(o: FinishOptions, districtId: string, requests: string[]): Promise<NamedPerson[]> {
  const rows = await queryRows<{ ids: string[] }>(
    o.ch,
    `SELECT DISTINCT person_ids AS ids FROM person_erasures
     WHERE district_id = ${sqlString(districtId)} AND request_id IN ${sqlList(requests, sqlString)} AND finished = 0`,
  );
  return rows.map((r) => ({ named: '', sourcedId: null, personIds: r.ids, shared: 0 }));
}
