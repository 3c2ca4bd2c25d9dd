import { queryRows, sqlList, sqlString, type ClickHouseClient, type DeletionWaitOptions } from '@edusage/clickhouse';
import { aggregateCaughtUp, restoreErasedList, type CatchUpOptions, type ErasedListScope } from './catch-up';
import { newRequest, recordRequest, removeAndFinish, unfinishedRequests } from './erase-stored';
import { distinctPeople, type NamedPerson } from './people';

export interface FinishOptions extends ErasedListScope, Omit<CatchUpOptions, 'timeoutMs'> {
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
 * caught up in time), in all districts, and removes what was stored of erased people after their
 * request finished (`leftoverPeople`): the same waits as `people erase` for the requests unfinished
 * when their lists were written again to Redis; then, per district, one request of its own naming their
 * people goes through `people erase`'s removal, and the requests it covered are marked finished by it.
 * Run by the jobs service's `erasure-sweep`; safe beside a `people erase` and beside another sweep.
 */
export async function finishErasures(o: FinishOptions): Promise<FinishResult> {
  const pending = await unfinishedRequests(o.ch);
  const leftovers = await leftoverPeople(o.ch);
  if (pending.size === 0 && leftovers.size === 0) return { districts: [], notYetStored: 0 };
  const covered = new Map<string, string[]>();
  for (const districtId of new Set([...pending.keys(), ...leftovers.keys()]))
    covered.set(districtId, await restoreErasedList(o, districtId));
  const notYetStored = await aggregateCaughtUp({ ...o, timeoutMs: o.catchUpTimeoutMs });
  if (notYetStored > 0) return { districts: [], notYetStored };

  const districts: FinishedDistrict[] = [];
  for (const [districtId, requests] of covered) {
    const stored = leftovers.get(districtId) ?? [];
    // Nothing left: the district's requests were finished meanwhile by their own command.
    if (requests.length === 0 && stored.length === 0) continue;
    districts.push(await finishDistrict(o, districtId, requests, stored));
  }
  return { districts, notYetStored: 0 };
}

/**
 * People of finished requests with assessment results or event revisions stored again: an
 * `outcomes import` or `roster reresolve` INSERT already on its way when their request was recorded (both
 * read the list right before writing) can store after the request's removal. Per district, each person
 * as their request names them (their pseudonyms). The aggregate's own INSERTs check the record in the
 * statement, so `usage_events` needs no such look (and is too large to scan every few minutes).
 */
export async function leftoverPeople(ch: ClickHouseClient): Promise<Map<string, NamedPerson[]>> {
  const out = new Map<string, NamedPerson[]>();
  const seen = new Set<string>();
  for (const table of ['assessment_results', 'usage_event_revisions']) {
    const rows = await queryRows<{ district_id: string; ids: string[] }>(
      ch,
      `SELECT DISTINCT district_id, person_ids AS ids FROM person_erasures ARRAY JOIN person_ids AS p
       WHERE finished = 1 AND (district_id, p) IN
         (SELECT district_id, person_id FROM ${table}
          WHERE (district_id, person_id) IN
            (SELECT district_id, arrayJoin(person_ids) FROM person_erasures WHERE finished = 1))`,
    );
    for (const r of rows) {
      const key = `${r.district_id}|${[...r.ids].sort().join(',')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.set(r.district_id, [...(out.get(r.district_id) ?? []), person(r.ids)]);
    }
  }
  return out;
}

const person = (ids: string[]): NamedPerson => ({ named: '', sourcedId: null, personIds: ids, shared: 0 });

/**
 * One district's covered requests, asked again as one request of the sweep's own: its offsets are
 * recorded under its own id, so a sweep stopped anywhere leaves a request of its own unfinished for the
 * next run (whatever happens meanwhile to the requests it covers), as a stopped `people erase` does.
 */
async function finishDistrict(
  o: FinishOptions,
  districtId: string,
  requests: string[],
  leftover: NamedPerson[],
): Promise<FinishedDistrict> {
  o.onProgress?.(
    `district ${districtId}: finishing ${requests.length} erasure request(s), ${leftover.length} person(s) with rows stored since…`,
  );
  const people = distinctPeople([...(await peopleOf(o, districtId, requests)), ...leftover]);
  const request = newRequest(districtId, SWEEP_PREFIX);
  await recordRequest(
    o.ch,
    { ...request, finished: 0 },
    people.map((p) => ({ ...p, events: 0, results: 0 })),
  );
  const { counted, refoldedRanges, finished } = await removeAndFinish(o, request, people, requests, true);
  return {
    districtId,
    request: request.requestId,
    requests: finished,
    events: counted.reduce((n, p) => n + p.events, 0),
    results: counted.reduce((n, p) => n + p.results, 0),
    refoldedRanges,
  };
}

/** The people (their pseudonyms, one entry a person) of unfinished requests. */
async function peopleOf(o: FinishOptions, districtId: string, requests: string[]): Promise<NamedPerson[]> {
  if (requests.length === 0) return [];
  const rows = await queryRows<{ ids: string[] }>(
    o.ch,
    `SELECT DISTINCT person_ids AS ids FROM person_erasures
     WHERE district_id = ${sqlString(districtId)} AND request_id IN ${sqlList(requests, sqlString)} AND finished = 0`,
  );
  return rows.map((r) => person(r.ids));
}
