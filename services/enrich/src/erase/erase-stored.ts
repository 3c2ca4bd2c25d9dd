import { randomBytes } from 'node:crypto';
import {
  command,
  deleteAndWait,
  insertRows,
  queryRows,
  sqlList,
  sqlString,
  utcDateTime,
  type ClickHouseClient,
  type DeletionWaitOptions,
} from '@edusage/clickhouse';
import { derivedRanges, refoldRange } from '@edusage/aggregate';
import type { NamedPerson } from './people';

/**
 * The ClickHouse side of an erasure (docs/ARCHITECTURE.md "Erasing a person"): the request's record in
 * `person_erasures`, the deletion of every stored version of the people's events and of their assessment
 * results, and the re-fold of the rollup ranges that held those events.
 */

export interface ErasedPerson extends NamedPerson {
  events: number;
  results: number;
}

type Coordinates = Map<string, { topic: string; partition: number; offsets: bigint[] }>;
type CoordinateRow = { kafka_topic: string; kafka_partition: number; kafka_offset: string };

const personIn = (districtId: string, ids: readonly string[]) =>
  `district_id = ${sqlString(districtId)} AND person_id IN ${sqlList(ids, sqlString)}`;

/**
 * Rows of the erased people of the district's `requests`: the pseudonyms `person_erasures` holds for
 * them, read by ClickHouse itself (any number of people; the mutation's stored text names no pseudonym).
 * The request ids are read once per run, so a request another run records meanwhile is left to that run.
 */
const erasedPersonIn = (districtId: string, requests: readonly string[]) =>
  `district_id = ${sqlString(districtId)} AND person_id IN
     (SELECT arrayJoin(person_ids) FROM person_erasures
      WHERE district_id = ${sqlString(districtId)} AND request_id IN ${sqlList(requests, sqlString)})`;

/** Rows (any version) at the Kafka offsets a run recorded. */
const recordedOffsetIn = (districtId: string, requestId: string) =>
  `district_id = ${sqlString(districtId)} AND (kafka_topic, kafka_partition, kafka_offset) IN
     (SELECT kafka_topic, kafka_partition, kafka_offset FROM person_erasure_offsets
      WHERE district_id = ${sqlString(districtId)} AND request_id = ${sqlString(requestId)})`;

/** A person's stored events (distinct Kafka offsets of any version) and assessment results. */
export async function storedOf(ch: ClickHouseClient, districtId: string, person: NamedPerson): Promise<ErasedPerson> {
  const where = personIn(districtId, person.personIds);
  const [row] = await queryRows<{ events: string; results: string }>(
    ch,
    `SELECT
       (SELECT uniqExact(kafka_topic, kafka_partition, kafka_offset) FROM
         (SELECT kafka_topic, kafka_partition, kafka_offset FROM usage_events WHERE ${where}
          UNION ALL SELECT kafka_topic, kafka_partition, kafka_offset FROM usage_event_revisions WHERE ${where})) AS events,
       (SELECT count() FROM assessment_results FINAL WHERE ${where}) AS results`,
  );
  return { ...person, events: Number(row?.events ?? 0), results: Number(row?.results ?? 0) };
}

/**
 * Pseudonyms one counting query names at most: its SQL holds each about six times (~36 bytes each), so
 * 500 stay well under ClickHouse's max_query_size (256 KiB).
 */
const PSEUDONYMS_PER_QUERY = 500;

/**
 * Each person's stored events and results, as `storedOf` counts them, for many people in few queries:
 * `usage_events` is ordered by Kafka coordinates, so each query reads the whole table's district and
 * person columns, and a purge of thousands (the students who left in June) must not read it once a
 * person. People go by groups of at most `pseudonymsPerQuery` pseudonyms, two queries a group (events,
 * results), each grouping its rows by the person the pseudonym belongs to.
 */
export async function countStored(
  ch: ClickHouseClient,
  districtId: string,
  people: readonly NamedPerson[],
  onProgress?: (line: string) => void,
  pseudonymsPerQuery = PSEUDONYMS_PER_QUERY,
): Promise<ErasedPerson[]> {
  const out: ErasedPerson[] = people.map((p) => ({ ...p, events: 0, results: 0 }));
  let done = 0;
  for (const group of groupsOfPeople(people, pseudonymsPerQuery)) {
    const counts = await countGroup(
      ch,
      districtId,
      group.map((i) => people[i]!),
    );
    counts.forEach(({ events, results }, j) => Object.assign(out[group[j]!]!, { events, results }));
    done += group.length;
    if (done < people.length) onProgress?.(`counted ${done} of ${people.length} people…`);
  }
  return out;
}

/** Indexes of `people` in groups of at most `limit` pseudonyms (a person with more is a group alone). */
function groupsOfPeople(people: readonly NamedPerson[], limit: number): number[][] {
  const groups: number[][] = [];
  let current: number[] = [];
  let size = 0;
  people.forEach((p, i) => {
    if (current.length > 0 && size + p.personIds.length > limit) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(i);
    size += p.personIds.length;
  });
  if (current.length > 0) groups.push(current);
  return groups;
}

/** The events and results of one group of people (a pseudonym belongs to one of them: `distinctPeople`). */
async function countGroup(
  ch: ClickHouseClient,
  districtId: string,
  group: readonly NamedPerson[],
): Promise<{ events: number; results: number }[]> {
  const pseudonyms = group.flatMap((p) => p.personIds);
  const owners = group.flatMap((p, i) => p.personIds.map(() => i));
  // The person (index in the group) a row's pseudonym belongs to.
  const who = `arrayElement([${owners.join(', ')}], indexOf([${pseudonyms.map(sqlString).join(', ')}], person_id))`;
  const where = personIn(districtId, pseudonyms);
  const [events, results] = await Promise.all([
    queryRows<{ who: string; n: string }>(
      ch,
      `SELECT toString(owner) AS who, toString(uniqExact(kafka_topic, kafka_partition, kafka_offset)) AS n
       FROM (SELECT ${who} AS owner, kafka_topic, kafka_partition, kafka_offset FROM usage_events WHERE ${where}
             UNION ALL
             SELECT ${who} AS owner, kafka_topic, kafka_partition, kafka_offset FROM usage_event_revisions WHERE ${where})
       GROUP BY owner`,
    ),
    queryRows<{ who: string; n: string }>(
      ch,
      `SELECT toString(${who}) AS who, toString(count()) AS n FROM assessment_results FINAL WHERE ${where} GROUP BY who`,
    ),
  ]);
  const counts = group.map(() => ({ events: 0, results: 0 }));
  for (const r of events) counts[Number(r.who)]!.events = Number(r.n);
  for (const r of results) counts[Number(r.who)]!.results = Number(r.n);
  return counts;
}

/** A request's identity: its id begins with the milliseconds it was asked at (a sweep's with `sweep-`). */
export interface ErasureRequest {
  districtId: string;
  requestId: string;
  requestedAt: string;
}

export function newRequest(districtId: string, idPrefix = ''): ErasureRequest {
  const now = new Date();
  return {
    districtId,
    requestId: `${idPrefix}${now.getTime()}-${randomBytes(4).toString('hex')}`,
    requestedAt: utcDateTime(now),
  };
}

/** One row per person: `finished` 0 when asked (they are excluded from then on), 1 when their data is gone. */
export async function recordRequest(
  ch: ClickHouseClient,
  r: ErasureRequest & { finished: 0 | 1 },
  people: readonly ErasedPerson[],
): Promise<void> {
  await insertRows(
    ch,
    'person_erasures',
    people.map((p) => ({
      district_id: r.districtId,
      request_id: r.requestId,
      person_ids: p.personIds,
      requested_at: r.requestedAt,
      finished: r.finished,
      finished_by: r.finished ? r.requestId : '',
      erased_events: p.events,
      erased_results: p.results,
    })),
  );
}

/** Every pseudonym the district's requests named: what enrich drops. */
export async function erasedPseudonyms(ch: ClickHouseClient, districtId: string): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    ch,
    `SELECT DISTINCT arrayJoin(person_ids) AS id FROM person_erasures WHERE district_id = ${sqlString(districtId)}`,
  );
  return rows.map((r) => r.id);
}

export interface StoredRemoval {
  ch: ClickHouseClient;
  districtId: string;
  /** This run's request, already recorded (finished 0). */
  requestId: string;
  deletion?: DeletionWaitOptions;
  onProgress?: (line: string) => void;
  onStep?: (step: 'deleted' | 'refold') => Promise<void>;
}

/**
 * Deletes what is stored of every erased person of the district (this run's, earlier runs' that stopped
 * midway or did not see the aggregate catch up, and anything of earlier ones that arrived since), then
 * folds again every rollup range that held one of their events. The offsets are recorded (under this
 * request) before anything is deleted, so a run stopped after the deletion leaves the next run the ranges
 * to fold. Returns the unfinished requests it covered, for the caller to mark finished.
 */
export async function removeStored(o: StoredRemoval): Promise<{ refoldedRanges: number; requests: string[] }> {
  const all = await requestsOf(o.ch, o.districtId);
  if (all.length === 0) return { refoldedRanges: 0, requests: [] };
  const unfinished = all.filter((r) => !r.finished).map((r) => r.id);
  const ids = all.map((r) => r.id);
  await recordOffsets(o, ids);
  await deleteStored(o, ids);
  await o.onStep?.('deleted');
  // This run's own recording too (its request may have been finished meanwhile by another run, which did
  // not see what this one recorded), and that of every request unfinished now (a run that recorded and
  // deleted while this one ran: folding its ranges again is harmless, missing them is not).
  const unfinishedNow = (await requestsOf(o.ch, o.districtId)).filter((r) => !r.finished).map((r) => r.id);
  const refolded = [...new Set([...unfinished, ...unfinishedNow, o.requestId])];
  const refoldedRanges = await refoldOffsets(o, await recordedOffsets(o.ch, o.districtId, refolded));
  return { refoldedRanges, requests: unfinished };
}

/**
 * The end of a request's run, once its waits are over: counts the people's stored rows, removes them
 * (`removeStored`, under this request), and when `final` (the aggregate had caught up) records the request
 * finished with those counts and marks finished by it the `covered` requests it found unfinished (those
 * whose people were in enrich's list before the waits; not one recorded since).
 */
export async function removeAndFinish(
  o: Omit<StoredRemoval, 'districtId' | 'requestId'>,
  request: ErasureRequest,
  people: readonly NamedPerson[],
  covered: readonly string[],
  final: boolean,
): Promise<{ counted: ErasedPerson[]; refoldedRanges: number; finished: string[] }> {
  const counted = await countStored(o.ch, request.districtId, people, o.onProgress);
  const removed = await removeStored({ ...o, districtId: request.districtId, requestId: request.requestId });
  if (!final) return { counted, refoldedRanges: removed.refoldedRanges, finished: [] };
  await recordRequest(o.ch, { ...request, finished: 1 }, counted);
  const finished = removed.requests.filter((r) => r !== request.requestId && covered.includes(r));
  await markFinished(o.ch, request.districtId, finished, request.requestId);
  return { counted, refoldedRanges: removed.refoldedRanges, finished };
}

/**
 * Marks earlier requests finished by the run of request `by` (a copy of their rows with finished 1); their
 * counts stay the ones they were asked with (0): what their own run deleted before it stopped is not known.
 */
export async function markFinished(
  ch: ClickHouseClient,
  districtId: string,
  requests: readonly string[],
  by: string,
): Promise<void> {
  if (requests.length === 0) return;
  await ch.command({
    query: `INSERT INTO person_erasures
              (district_id, request_id, person_ids, requested_at, finished, finished_by, erased_events, erased_results)
            SELECT district_id, request_id, person_ids, requested_at, 1, ${sqlString(by)}, erased_events, erased_results
            FROM person_erasures
            WHERE district_id = ${sqlString(districtId)} AND request_id IN ${sqlList(requests, sqlString)} AND finished = 0`,
  });
}

/**
 * Requests not finished yet, per district (all districts, or one), each district's oldest first (a
 * request id begins with the milliseconds it was asked at).
 */
export async function unfinishedRequests(ch: ClickHouseClient, districtId?: string): Promise<Map<string, string[]>> {
  const rows = await queryRows<{ district_id: string; request_id: string }>(
    ch,
    `SELECT district_id, request_id FROM person_erasures
     ${districtId === undefined ? '' : `WHERE district_id = ${sqlString(districtId)}`}
     GROUP BY district_id, request_id HAVING max(finished) = 0
     ORDER BY district_id, min(requested_at), request_id`,
  );
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.district_id, [...(out.get(r.district_id) ?? []), r.request_id]);
  return out;
}

/** The district's requests, and whether each is finished. */
async function requestsOf(ch: ClickHouseClient, districtId: string): Promise<{ id: string; finished: boolean }[]> {
  const rows = await queryRows<{ request_id: string; done: number }>(
    ch,
    `SELECT request_id, max(finished) AS done FROM person_erasures WHERE district_id = ${sqlString(districtId)}
     GROUP BY request_id`,
  );
  return rows.map((r) => ({ id: r.request_id, finished: Number(r.done) === 1 }));
}

function groupByPartition(rows: CoordinateRow[]): Coordinates {
  const out: Coordinates = new Map();
  for (const r of rows) {
    const k = `${r.kafka_topic}\u0000${r.kafka_partition}`;
    const p = out.get(k) ?? { topic: r.kafka_topic, partition: Number(r.kafka_partition), offsets: [] };
    p.offsets.push(BigInt(r.kafka_offset));
    out.set(k, p);
  }
  return out;
}

/**
 * Records the Kafka offsets of every stored version (event or revision) of the requests' people under this
 * run's request: one INSERT … SELECT, so the offsets never travel through this process.
 */
async function recordOffsets(o: StoredRemoval, requests: string[]): Promise<void> {
  const where = erasedPersonIn(o.districtId, requests);
  await command(
    o.ch,
    `INSERT INTO person_erasure_offsets (district_id, request_id, kafka_topic, kafka_partition, kafka_offset)
     SELECT DISTINCT ${sqlString(o.districtId)}, ${sqlString(o.requestId)}, kafka_topic, kafka_partition, kafka_offset
     FROM (SELECT kafka_topic, kafka_partition, kafka_offset FROM usage_events WHERE ${where}
           UNION ALL SELECT kafka_topic, kafka_partition, kafka_offset FROM usage_event_revisions WHERE ${where})`,
  );
}

async function recordedOffsets(ch: ClickHouseClient, districtId: string, requests: string[]): Promise<Coordinates> {
  if (requests.length === 0) return new Map();
  return groupByPartition(
    await queryRows<CoordinateRow>(
      ch,
      `SELECT DISTINCT kafka_topic, kafka_partition, toString(kafka_offset) AS kafka_offset FROM person_erasure_offsets
       WHERE district_id = ${sqlString(districtId)} AND request_id IN ${sqlList(requests, sqlString)}`,
    ),
  );
}

/**
 * Every row at the offsets this run recorded, in both tables (an event stored under another pseudonym and
 * revised to an erased person goes with its revision: alone it would be the current version again), then
 * the requests' people's assessment results; each waited for until gone.
 */
async function deleteStored(o: StoredRemoval, requests: string[]): Promise<void> {
  const atOffsets = recordedOffsetIn(o.districtId, o.requestId);
  const deletions: [string, string][] = [
    ['usage_event_revisions', atOffsets],
    ['usage_events', atOffsets],
    ['assessment_results', erasedPersonIn(o.districtId, requests)],
  ];
  for (const [table, where] of deletions) {
    const count = async () => {
      const [row] = await queryRows<{ n: string }>(o.ch, `SELECT count() AS n FROM ${table} WHERE ${where}`);
      return Number(row?.n ?? 0);
    };
    const rows = await count();
    if (rows === 0) continue;
    o.onProgress?.(`deleting ${rows} row(s) of ${table}…`);
    await deleteAndWait(o.ch, table, where, count, o.deletion);
  }
}

/**
 * Folds again every derived rollup range holding one of the offsets (their events now gone). A range the
 * sink derives while this runs may have read the events before the deletion: the ranges are read again
 * until no new one holds an offset. Offsets above the last watermark need nothing: the sink folds the
 * current rows.
 */
async function refoldOffsets(o: StoredRemoval, c: Coordinates): Promise<number> {
  let refolded = 0;
  for (const p of c.values()) {
    const done = new Set<bigint>();
    for (;;) {
      const ranges = (await derivedRanges(o.ch, p.topic, p.partition)).filter(
        (r) => !done.has(r.from) && p.offsets.some((x) => x >= r.from && x < r.to),
      );
      if (ranges.length === 0) break;
      for (const r of ranges) {
        await refoldRange(o.ch, p.topic, p.partition, r.from, r.to);
        done.add(r.from);
        refolded++;
        await o.onStep?.('refold');
      }
    }
  }
  return refolded;
}
