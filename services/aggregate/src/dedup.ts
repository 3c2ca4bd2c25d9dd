import {
  insertTsv,
  queryRows,
  sqlDate,
  sqlList,
  sqlNumber,
  sqlString,
  utcDateTime,
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
              groupUniqArrayIf(concat(toString(owner_offset), '@', toString(toUInt32(refused_at))), refused = 1) AS r
       FROM event_claims
       PREWHERE key_hi IN ${sqlList(chunkHis, (h) => sqlNumber(BigInt(h)))}
       WHERE ${partitionIs(topic, partition)}
         AND local_date IN ${sqlList(chunkDays, sqlDate)}
       GROUP BY local_date, key_hi, key_lo`,
    );
    const refusals = rows.map((r) => refusalsOf(r.r));
    const owning = await refusedStillOwning(
      ch,
      topic,
      partition,
      rows.flatMap((r, i) => {
        // A claim never refused (a later copy, stored or on its way) owns the event whatever happened
        // to the refused ones' month: a drop cannot give it back to them.
        const onlyRefused = r.o.every((o) => refusals[i]!.has(o));
        return [...refusals[i]!]
          .filter(([offset]) => r.o.includes(offset))
          .map(([offset, refusedAt]) => ({ offset, day: r.d, refusedAt, dropCounts: onlyRefused }));
      }),
    );
    rows.forEach((r, i) => {
      const owner = firstOwner(
        r.o,
        [...refusals[i]!.keys()].filter((o) => !owning.has(o)),
      );
      if (owner !== undefined) owners.set(identity(r.d, r.hi, r.lo), owner);
    });
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
 * An identity's refused claims (`offset@refused_at` in Unix seconds) as offset → its first refusal (a
 * message stored after it, dropped, and refused again since is still one that may have been stored).
 */
function refusalsOf(entries: readonly string[]): Map<string, number> {
  const first = new Map<string, number>();
  for (const e of entries) {
    const [offset, at] = e.split('@') as [string, string];
    first.set(offset, Math.min(first.get(offset) ?? Number.MAX_SAFE_INTEGER, Number(at)));
  }
  return first;
}

/**
 * Which of `refused` (owners with a refused claim: their local day and first refusal) own their event
 * all the same: those whose row is in usage_events (their message came again once the refusal's cause
 * was fixed, and was stored), and, where every claim of the event was refused (`dropCounts`), those
 * whose month has a record of retention's (`retention_drops`) later than that refusal (the row is gone, whether or not it was
 * stored in between: they keep owning, so a re-import counts nothing twice, and a replay of the letter
 * is a duplicate). A month dropped only before the refusal (a late event into it) does not count: that
 * row was never stored. A drop counts from its first record, written before the DROP PARTITION (a drop that
 * failed then keeps a refused owner of an expired month owning: a replay of it is discarded rather
 * than risk counting it twice). Read in this order, a row that vanished between the reads is still
 * seen as dropped. Rare, so asked only when there are any.
 */
async function refusedStillOwning(
  ch: ClickHouseClient,
  topic: string,
  partition: number,
  refused: readonly { offset: string; day: string; refusedAt: number; dropCounts: boolean }[],
): Promise<Set<string>> {
  if (refused.length === 0) return new Set();
  const offsets = [...new Set(refused.map((r) => r.offset))];
  const stored = await queryRows<{ o: string }>(
    ch,
    `SELECT DISTINCT toString(kafka_offset) AS o FROM usage_events
     WHERE ${partitionIs(topic, partition)} AND kafka_offset IN ${sqlList(offsets, (o) => sqlNumber(BigInt(o)))}`,
  );
  const owning = new Set(stored.map((r) => r.o));
  const monthOf = (day: string) => day.slice(0, 7).replace('-', '');
  const months = [...new Set(refused.filter((r) => r.dropCounts).map((r) => monthOf(r.day)))];
  if (months.length === 0) return owning;
  const drops = await queryRows<{ m: string; last_drop: number | string }>(
    ch,
    `SELECT partition_id AS m, toUInt32(max(dropped_at)) AS last_drop
     FROM retention_drops WHERE table_name = 'usage_events' AND partition_id IN ${sqlList(months, sqlString)}
     GROUP BY partition_id`,
  );
  const lastDrop = new Map(drops.map((d) => [d.m, Number(d.last_drop)]));
  for (const r of refused) if (r.dropCounts && (lastDrop.get(monthOf(r.day)) ?? 0) > r.refusedAt) owning.add(r.offset);
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
  // The server's clock, as retention's drops (`retention_drops.dropped_at`) are: compared with them.
  const [now] = await queryRows<{ t: number | string }>(ch, 'SELECT toUInt32(now()) AS t');
  const refusedAt = utcDateTime(new Date(Number(now!.t) * 1000));
  const rows = claims.map((c) => {
    checkClaim(topic, partition, c);
    return { ...claimRow(topic, partition, c, splitKey(c.key)), refused: 1, refused_at: refusedAt };
  });
  await insertTsv(ch, 'event_claims', [...CLAIM_COLUMNS, 'refused', 'refused_at'], rows);
}
