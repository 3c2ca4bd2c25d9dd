import type { Redis } from 'ioredis';
import type { ClickHouseClient, DeletionWaitOptions } from '@edusage/clickhouse';
import type { Kafka } from '@edusage/kafka';
import { checkPseudonymKey, recordOrCheckPseudonymKey } from '../enrich/key-fingerprint';
import { loadRosterFromRedis } from '../roster/store';
import { aggregateCaughtUp, restoreErasedList } from './catch-up';
import { distinctPeople, headersNamingUsers, namePerson } from './people';
import type { GivenId, HeaderLine } from './people-file';
import { countStored, newRequest, recordRequest, removeAndFinish, type ErasedPerson } from './erase-stored';

export interface EraseOptions {
  ch: ClickHouseClient;
  redis: Redis;
  redisPrefix: string;
  pseudonymKey: string;
  districtId: string;
  /** Roster sourcedIds, emails, usernames or state/local ids (or identifiers of people the roster no longer has). */
  people: readonly GivenId[];
  /**
   * People files' first lines taken as their header (`readPeopleFile`): erased too when the roster has a
   * user with that id (`EraseResult.headersErased`).
   */
  headerLines?: readonly HeaderLine[];
  /** Without it nothing is written: the result says what would be removed. */
  confirm: boolean;
  kafka: Kafka;
  /** usage.enriched (with its prefix) and the aggregate's consumer group. */
  enrichedTopic: string;
  aggregateGroupId: string;
  /** How often enrich reads the list again (ENRICH_RELOAD_INTERVAL_MS): waited twice before looking at Kafka. */
  enrichReloadMs: number;
  /** How long to wait for the aggregate to store what was on its way. */
  catchUpTimeoutMs?: number;
  deletion?: DeletionWaitOptions;
  /** Progress lines for a terminal. */
  onProgress?: (line: string) => void;
  /** Called after each step (tests stop a run midway by throwing from it). */
  onStep?: (step: 'asked' | 'deleted' | 'refold') => Promise<void>;
}

export interface EraseResult {
  requestId: string | null;
  people: ErasedPerson[];
  /** Stored events and assessment results removed (or, without confirm, that would be). */
  events: number;
  results: number;
  refoldedRanges: number;
  /** Messages on usage.enriched the aggregate had not stored when the wait ended (0 = finished). */
  notYetStored: number;
  /** False: the district has no roster loaded, so every id was taken as an identifier sent. */
  hasRoster: boolean;
  /** Where the header lines erased as people were given (`<file>:<line>`; `EraseOptions.headerLines`). */
  headersErased: string[];
}

/**
 * Erases people at the district's request (docs/ARCHITECTURE.md "Erasing a person"): records them, so
 * enrich drops their later events; waits for what was already on its way to be stored; deletes their
 * stored events (every version) and assessment results; folds again every rollup range that held one
 * of their events, so no count includes them. Safe to stop anywhere and run again (`removeStored`).
 */
export async function erasePeople(o: EraseOptions): Promise<EraseResult> {
  const headerLines = o.headerLines ?? [];
  if (o.people.length === 0 && headerLines.length === 0)
    throw new Error('--person or --people-file: name at least one person');
  const scope = { redis: o.redis, prefix: o.redisPrefix, key: o.pseudonymKey };
  // A dry run records nothing, not even the key's fingerprint (a mistyped key would then be the recorded one).
  await (o.confirm ? recordOrCheckPseudonymKey(scope) : checkPseudonymKey(scope));
  const roster = (await loadRosterFromRedis(o.redis, o.redisPrefix, o.districtId))?.data ?? null;
  const headersErased = headersNamingUsers(roster, headerLines);
  // A file of nothing but a header (an empty export) erases nobody: refused, as a file of no line is.
  const lone = headerLines.find((h) => h.alone && !headersErased.includes(h));
  if (lone)
    throw new Error(
      `${lone.from} (${lone.id}): the file holds no id but this header line, and ` +
        (roster
          ? 'no roster user has that id'
          : `district ${o.districtId} has no roster loaded (is the district id right?)`),
    );
  const given = [...o.people, ...headersErased];
  const people = distinctPeople(given.map((p) => namePerson(p.id, roster, o.pseudonymKey, o.districtId, p.from)));

  if (!o.confirm) {
    const counted = await countStored(o.ch, o.districtId, people, o.onProgress);
    return summary(null, counted, 0, 0, { hasRoster: roster !== null, headersErased });
  }

  const request = newRequest(o.districtId);
  const asked = people.map((p) => ({ ...p, events: 0, results: 0 }));
  await recordRequest(o.ch, { ...request, finished: 0 }, asked);
  // The requests whose people are in the list enrich gets from here on (this one and any earlier one left
  // unfinished): once it has read the list and the aggregate has caught up, none of theirs is on its way.
  const covered = await restoreErasedList(o, o.districtId);
  await o.onStep?.('asked');

  const notYetStored = await aggregateCaughtUp({ ...o, timeoutMs: o.catchUpTimeoutMs ?? 120_000 });
  const { counted, refoldedRanges } = await removeAndFinish(o, request, people, covered, notYetStored === 0);
  return summary(request.requestId, counted, refoldedRanges, notYetStored, {
    hasRoster: roster !== null,
    headersErased,
  });
}

function summary(
  requestId: string | null,
  people: ErasedPerson[],
  refoldedRanges: number,
  notYetStored: number,
  given: { hasRoster: boolean; headersErased: readonly GivenId[] },
): EraseResult {
  return {
    requestId,
    hasRoster: given.hasRoster,
    headersErased: given.headersErased.map((h) => h.from),
    people,
    events: people.reduce((n, p) => n + p.events, 0),
    results: people.reduce((n, p) => n + p.results, 0),
    refoldedRanges,
    notYetStored,
  };
}
