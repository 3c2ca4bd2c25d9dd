import type { Redis } from 'ioredis';
import { insertRows, queryRows, sqlNumber, sqlString, utcDateTime, type ClickHouseClient } from '@edusage/clickhouse';
import { parseJsonPayload, rawMessageSchema, type NativeEvent } from '@edusage/contracts';
import { readTopicToEnd, type Kafka } from '@edusage/kafka';
import { derivedRanges, EVENT_COLUMNS, refoldRange } from '@edusage/aggregate';
import { dedupKey, unresolvedPersonId } from '../enrich/pseudonym';
import { localDate } from '../enrich/time';
import { recordOrCheckPseudonymKey } from '../enrich/key-fingerprint';
import { RosterIndex } from '../roster/roster-index';
import { loadRosterFromRedis } from '../roster/store';
import { reviseRow, type StoredEventRow } from './revise';
import { erasedPseudonyms } from '../erase/erase-stored';

export interface ReresolveOptions {
  ch: ClickHouseClient;
  kafka: Kafka;
  redis: Redis;
  redisPrefix: string;
  pseudonymKey: string;
  /** The usage.raw topic (with its prefix). */
  rawTopic: string;
  districtId: string;
  timeZone: string;
  /** Called after each step (tests stop a run midway by throwing from it). */
  onStep?: (step: 'revisions' | 'refold') => Promise<void>;
}

export interface ReresolveResult {
  rosterVersion: string;
  /** Stored events with an unresolved person and no revision, looked at by this run. */
  unresolved: number;
  /** Of those, events given a revision by this run. */
  revised: number;
  /** Offset ranges folded again. */
  refoldedRanges: number;
  /** Revised events above their partition's watermark: the run is not finished, run it again later. */
  notYetFolded: number;
}

/** `<epoch ms>-<hex>` → epoch ms: later roster versions give higher revisions. */
export function revisionOf(rosterVersion: string): number {
  const ms = Number(rosterVersion.split('-')[0]);
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new Error(`roster version ${rosterVersion} has no time prefix`);
  return ms;
}

/**
 * Late roster (docs/ARCHITECTURE.md "Late roster"): the district's stored events whose person was not in
 * the roster when they arrived, and is in the current one, get a revision attributed with the current
 * roster; then every rollup range holding a revised event is folded again. Safe to stop anywhere and run
 * again: revisions are only written for rows that have none, and the re-folds of every revision newer
 * than the last finished run are repeated until a run finishes.
 */
export async function reresolveDistrict(o: ReresolveOptions): Promise<ReresolveResult> {
  await recordOrCheckPseudonymKey({ redis: o.redis, prefix: o.redisPrefix, key: o.pseudonymKey });
  const loaded = await loadRosterFromRedis(o.redis, o.redisPrefix, o.districtId);
  if (!loaded) throw new Error(`district ${o.districtId} has no roster loaded`);
  const roster = new RosterIndex(o.districtId, loaded.version, loaded.data, o.pseudonymKey);
  const revision = revisionOf(loaded.version);

  const rows = await unrevisedUnresolvedRows(o.ch, o.districtId);
  const senders = new Set(rows.map((r) => r.person_id));
  const raws = await rawEventsOfSenders(o, roster, senders);
  const revisedAt = utcDateTime(new Date());
  const revisions: object[] = [];
  // Read last, right before the INSERT: an erased person is never attributed an event again.
  const erased = new Set(await erasedPseudonyms(o.ch, o.districtId));
  for (const row of rows) {
    // No raw event: the roster still does not know the sender, or usage.raw no longer holds it.
    const raw = raws.get(`${row.dedup_key}|${row.local_date}`);
    const revised = raw ? reviseRow(row, raw, roster) : null;
    if (revised && !erased.has(revised.person_id))
      revisions.push({ ...revised, revision, roster_version: loaded.version, revised_at: revisedAt });
  }
  // Rows with a revision are not looked at again, so a run stopped after this INSERT and run again
  // writes no second revision; an INSERT retried after a lost answer writes equal rows (one is read).
  if (revisions.length > 0) await insertRows(o.ch, 'usage_event_revisions', revisions);
  await o.onStep?.('revisions');

  const { refoldedRanges, notYetFolded } = await refoldPendingRevisions(o);
  // A revision above a watermark read here may be in a fold the sink ran before the revision was
  // stored: the run is finished only when every revision was in a derived range, so the next run
  // folds those ranges again (once the sink has derived them).
  if (notYetFolded === 0)
    await insertRows(o.ch, 'reresolution_runs', [
      {
        district_id: o.districtId,
        revision,
        roster_version: loaded.version,
        revised_events: revisions.length,
        finished_at: revisedAt,
      },
    ]);
  return {
    rosterVersion: loaded.version,
    unresolved: rows.length,
    revised: revisions.length,
    refoldedRanges,
    notYetFolded,
  };
}

/** Stored events of the district with an unresolved person and no revision yet. */
async function unrevisedUnresolvedRows(ch: ClickHouseClient, districtId: string): Promise<StoredEventRow[]> {
  const d = sqlString(districtId);
  return queryRows<StoredEventRow>(
    ch,
    `SELECT ${EVENT_COLUMNS} FROM usage_events
     WHERE district_id = ${d} AND person_resolved = 0
       AND (kafka_topic, kafka_partition, kafka_offset) NOT IN
           (SELECT kafka_topic, kafka_partition, kafka_offset FROM usage_event_revisions WHERE district_id = ${d})`,
  );
}

/**
 * Reads usage.raw to its current end and keeps the events of the given unresolved senders (by their
 * pseudonym) that the roster now resolves. Only the raw topic holds the identifiers the roster is
 * matched on; nothing of them is written anywhere.
 */
async function rawEventsOfSenders(
  o: ReresolveOptions,
  roster: RosterIndex,
  senders: Set<string>,
): Promise<Map<string, NativeEvent>> {
  /** Raw events by identity (`dedup_key|local_date`). */
  const out = new Map<string, NativeEvent>();
  if (senders.size === 0) return out;
  await readTopicToEnd(o.kafka, o.rawTopic, async (records) => {
    for (const rec of records) {
      if (rec.value === null) continue;
      const json = parseJsonPayload(rec.value);
      if (!json.ok) continue; // not JSON: enrich dead-lettered it, it was never stored
      const parsed = rawMessageSchema.safeParse(json.value);
      if (!parsed.success || parsed.data.event.district_id !== o.districtId) continue;
      const ev = parsed.data.event;
      // The person_id enrich stored for the unresolved sender (the same rule).
      const sender = unresolvedPersonId(o.pseudonymKey, o.districtId, ev.user);
      if (!senders.has(sender)) continue;
      if (!roster.findPerson(ev.user)) continue;
      const at = Date.parse(ev.occurred_at);
      const key = `${dedupKey(o.pseudonymKey, o.districtId, ev.source, ev.user, ev.event_id)}|${localDate(at, o.timeZone)}`;
      // The first copy on usage.raw is the one stored: copies share the sender's partition and order.
      if (!out.has(key)) out.set(key, ev);
    }
  });
  return out;
}

/**
 * Folds again every derived range of the district that holds a revision newer than the last finished
 * run. Revisions above a partition's watermark need nothing: the sink folds them in their current version.
 */
async function refoldPendingRevisions(o: ReresolveOptions): Promise<{ refoldedRanges: number; notYetFolded: number }> {
  const d = sqlString(o.districtId);
  const [done] = await queryRows<{ r: string }>(
    o.ch,
    `SELECT toString(max(revision)) AS r FROM reresolution_runs WHERE district_id = ${d}`,
  );
  const after = BigInt(done?.r ?? '0');
  const revised = await queryRows<{ kafka_topic: string; kafka_partition: number; offsets: string[] }>(
    o.ch,
    `SELECT kafka_topic, kafka_partition, groupUniqArray(toString(kafka_offset)) AS offsets
     FROM usage_event_revisions WHERE district_id = ${d} AND revision > ${sqlNumber(after)}
     GROUP BY kafka_topic, kafka_partition`,
  );
  let refoldedRanges = 0;
  let notYetFolded = 0;
  for (const p of revised) {
    const ranges = await derivedRanges(o.ch, p.kafka_topic, p.kafka_partition);
    const offsets = p.offsets.map((x) => BigInt(x));
    for (const r of ranges) {
      if (!offsets.some((x) => x >= r.from && x < r.to)) continue;
      await refoldRange(o.ch, p.kafka_topic, p.kafka_partition, r.from, r.to);
      refoldedRanges++;
      await o.onStep?.('refold');
    }
    const end = ranges.length > 0 ? ranges[ranges.length - 1]!.to : 0n;
    notYetFolded += offsets.filter((x) => x >= end).length;
  }
  return { refoldedRanges, notYetFolded };
}
