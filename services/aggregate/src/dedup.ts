import {
  insertTsv,
  queryRows,
  sqlDate,
  sqlList,
  sqlNumber,
  sqlString,
  type ClickHouseClient,
} from '@edusage/clickhouse';
import { PartitionRefused } from './errors';
import { partitionIs } from './partition-sql';
import { isStorableDay } from './rows';

/** One event of a batch asking to be stored. */
export interface Claim {
  /** The event's identity (EnrichedEvent.dedup_key, 32 hex). */
  key: string;
  /** Its local day: copies of an event share it, and the claims table is ordered by it. */
  localDate: string;
  /** Offset of the enriched message carrying it, in the batch's partition. */
  offset: string;
}

const CLAIM_COLUMNS = ['kafka_topic', 'kafka_partition', 'local_date', 'key_hi', 'key_lo', 'owner_offset'] as const;

/**
 * Keys and days looked up per query at most: 4,000 of each keep the SQL text (~22 and ~24 bytes each)
 * well under ClickHouse's max_query_size (256 KiB), however many days a batch spans.
 */
const LOOKUP_KEYS = 4000;
const LOOKUP_DAYS = 4000;

/**
 * What is wrong with a claim, or null. Claims are made from validated events, so a malformed one is
 * a bug in the sink that no retry mends; the lookup SQL and the TabSeparated claims would refuse it
 * further on, as errors the batch retries for ever.
 */
function claimProblem(c: Claim): string | null {
  if (!/^[0-9a-f]{32}$/.test(c.key)) return `dedup_key is not 32 hex characters: ${JSON.stringify(c.key)}`;
  if (!isStorableDay(c.localDate)) return `local_date is not a storable day: ${JSON.stringify(c.localDate)}`;
  if (!/^\d+$/.test(c.offset)) return `offset is not a Kafka offset: ${JSON.stringify(c.offset)}`;
  return null;
}

/** Refuses the partition (paused, logged, nothing committed) for a malformed claim, not retried: see claimProblem. */
function checkClaim(topic: string, partition: number, c: Claim): void {
  const problem = claimProblem(c);
  if (problem !== null)
    throw new PartitionRefused(`the claim of offset ${c.offset} of ${topic}/${partition} is malformed: ${problem}`);
}

/** The `event_claims` row of a claim (CLAIM_COLUMNS), its key split (`splitKey`). */
function claimRow(topic: string, partition: number, c: Claim, key: { hi: string; lo: string }) {
  return {
    kafka_topic: topic,
    kafka_partition: partition,
    local_date: c.localDate,
    key_hi: key.hi,
    key_lo: key.lo,
    owner_offset: c.offset,
  };
}

/** The 128-bit key (checked by `claimProblem`) as the two UInt64 columns of `event_claims` (decimal strings). */
function splitKey(key: string): { hi: string; lo: string } {
  return { hi: BigInt(`0x${key.slice(0, 16)}`).toString(), lo: BigInt(`0x${key.slice(16)}`).toString() };
}

/** An event identity within a partition: the key on its local day. */
function identity(localDate: string, hi: string, lo: string): string {
  return `${localDate}/${hi}/${lo}`;
}

/**
 * Which offset of this partition already owns each of `claims`' identities (see `identity`); `keys[i]`
 * is claim i's key split. An owner whose claim was refused (`refuseClaims`: its row stored nothing) owns
 * nothing, unless its row is stored after all (a redelivery after the cause was fixed) or its month was
 * dropped (`refusedStillOwning`); the next one does, if any.
 */
async function storedOwners(
  ch: ClickHouseClient,
  topic: string,
  partition: number,
  claims: readonly Claim[],
  keys: readonly { hi: string }[],
): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  const byDay = new Map<string, number[]>();
  claims.forEach((c, i) => {
    const members = byDay.get(c.localDate);
    if (members) members.push(i);
    else byDay.set(c.localDate, [i]);
  });
  let days: string[] = [];
  let his = new Set<string>();
  const lookUp = async () => {
    const [chunkDays, chunkHis] = [days, [...his]];
    days = [];
    his = new Set();
    if (chunkHis.length === 0) return;
    // The primary key narrows the read to the partition's days; within them random keys hit nearly every
    // granule, so PREWHERE reads key_hi alone (8 bytes a claim) and the other columns only where it matches.
    const rows = await queryRows<{ d: string; hi: string; lo: string; o: string[]; r: string[] }>(
      ch,
      `SELECT toString(local_date) AS d, toString(key_hi) AS hi, toString(key_lo) AS lo,
              groupUniqArrayIf(toString(owner_offset), refused = 0) AS o,
              groupUniqArrayIf(toString(owner_offset), refused = 1) AS r
       FROM event_claims
       PREWHERE key_hi IN ${sqlList(chunkHis, (h) => sqlNumber(BigInt(h)))}
       WHERE ${partitionIs(topic, partition)}
         AND local_date IN ${sqlList(chunkDays, sqlDate)}
       GROUP BY local_date, key_hi, key_lo`,
    );
    const owning = await refusedStillOwning(
      ch,
      topic,
      partition,
      rows.flatMap((r) => r.o.filter((o) => r.r.includes(o)).map((offset) => ({ offset, day: r.d }))),
    );
    for (const r of rows) {
      const owner = firstOwner(
        r.o,
        r.r.filter((o) => !owning.has(o)),
      );
      if (owner !== undefined) owners.set(identity(r.d, r.hi, r.lo), owner);
    }
  };
  // Day by day (a batch mostly holds one or two), a query taking at most LOOKUP_DAYS days and
  // LOOKUP_KEYS keys; a day with more keys continues in the next query.
  for (const [day, members] of byDay) {
    if (days.length >= LOOKUP_DAYS) await lookUp();
    days.push(day);
    for (const i of members) {
      if (his.size >= LOOKUP_KEYS) {
        await lookUp();
        days.push(day);
      }
      his.add(keys[i]!.hi);
    }
  }
  await lookUp();
  return owners;
}

/**
 * Which of `refused` (owners with a refused claim, and their local day) own their event all the same:
 * those whose row is in usage_events (their message came again once the refusal's cause was fixed, and
 * was stored), and those of a month retention dropped (`retention_drops`: the row is gone either way,
 * so whether it was stored later is unknown; they keep owning, so nothing is counted twice, and a
 * replay of such a letter is a duplicate). Read in that order: retention records a month before it
 * drops it, so a row that vanished between the two reads is still seen as dropped. Rare, so asked only
 * when there are any (a primary-key read of usage_events, and a small table).
 */
async function refusedStillOwning(
  ch: ClickHouseClient,
  topic: string,
  partition: number,
  refused: readonly { offset: string; day: string }[],
): Promise<Set<string>> {
  if (refused.length === 0) return new Set();
  const offsets = [...new Set(refused.map((r) => r.offset))];
  const stored = await queryRows<{ o: string }>(
    ch,
    `SELECT DISTINCT toString(kafka_offset) AS o FROM usage_events
     WHERE ${partitionIs(topic, partition)} AND kafka_offset IN ${sqlList(offsets, (o) => sqlNumber(BigInt(o)))}`,
  );
  const monthOf = (day: string) => day.slice(0, 7).replace('-', '');
  const months = [...new Set(refused.map((r) => monthOf(r.day)))];
  const dropped = await queryRows<{ m: string }>(
    ch,
    `SELECT DISTINCT partition_id AS m FROM retention_drops
     WHERE table_name = 'usage_events' AND partition_id IN ${sqlList(months, sqlString)}`,
  );
  const owning = new Set(stored.map((r) => r.o));
  const droppedMonths = new Set(dropped.map((r) => r.m));
  for (const r of refused) if (droppedMonths.has(monthOf(r.day))) owning.add(r.offset);
  return owning;
}

/** The lowest of `owners` (offsets) not in `refused`; undefined when there is none. */
function firstOwner(owners: readonly string[], refused: readonly string[]): string | undefined {
  let first: bigint | undefined;
  for (const o of owners) {
    if (refused.includes(o)) continue;
    const at = BigInt(o);
    if (first === undefined || at < first) first = at;
  }
  return first?.toString();
}

/**
 * Decides, per claim of one partition batch (in offset order), whether its message owns the event:
 * the first message of the partition that carried the key owns it. Owners already stored are read from
 * `event_claims`; within the batch the first copy wins. New claims are written before the caller stores
 * the events, so a crash anywhere after leaves them for the redelivery, which finds its own offset and
 * still owns its events, while every other copy (a re-sent batch, a re-imported file, an event
 * re-produced by enrich, in any later batch) finds another owner and is a duplicate.
 *
 * Exact because a partition has one owner processing its batches in order, and copies of an event share
 * the partition and the local day (docs/ARCHITECTURE.md "Duplicate events").
 */
export async function claimEvents(
  ch: ClickHouseClient,
  topic: string,
  partition: number,
  claims: readonly Claim[],
): Promise<boolean[]> {
  if (claims.length === 0) return [];
  for (const c of claims) checkClaim(topic, partition, c);
  // Each key split once (two BigInts): the lookup and the claims both use it.
  const keys = claims.map((c) => splitKey(c.key));
  const owners = await storedOwners(ch, topic, partition, claims, keys);
  const fresh: Record<(typeof CLAIM_COLUMNS)[number], string | number>[] = [];
  const owned = claims.map((c, i) => {
    const { hi, lo } = keys[i]!;
    const id = identity(c.localDate, hi, lo);
    const owner = owners.get(id);
    if (owner !== undefined) return owner === c.offset;
    owners.set(id, c.offset);
    fresh.push(claimRow(topic, partition, c, keys[i]!));
    return true;
  });
  await insertTsv(ch, 'event_claims', CLAIM_COLUMNS, fresh);
  return owned;
}

/**
 * Marks the claims of events whose rows ClickHouse refused (sent to the dead letters): their messages
 * stored nothing, so they own nothing, and a copy sent again later (a `dlq replay` after the cause was
 * fixed) is the event, not a duplicate. Written before the batch commits; written twice is harmless.
 */
export async function refuseClaims(
  ch: ClickHouseClient,
  topic: string,
  partition: number,
  claims: readonly Claim[],
): Promise<void> {
  const rows = claims.map((c) => {
    checkClaim(topic, partition, c);
    return { ...claimRow(topic, partition, c, splitKey(c.key)), refused: 1 };
  });
  await insertTsv(ch, 'event_claims', [...CLAIM_COLUMNS, 'refused'], rows);
}
