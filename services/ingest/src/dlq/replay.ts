import { deadLetterSchema, kafkaPosition, parseJsonPayload, type DeadLetter } from '@edusage/contracts';
import {
  partitionCount,
  produceJson,
  readTopicToEnd,
  type JsonMessage,
  type Kafka,
  type Producer,
} from '@edusage/kafka';
import { matchesFilter, type DeadLetterFilter } from './filter';
import { replayLetter, type ReplayOptions } from './replay-letter';
import { letterIdentity, ReplayHistory } from './replayed';

export interface DlqTopics {
  raw: string;
  enriched: string;
  dlq: string;
}

export interface ReplaySummary {
  /** Records read from the dead-letter topic (up to its end when the command started). */
  read: number;
  /** Dead letters that matched the filter. */
  selected: number;
  /** Selected letters that now pass and were re-sent. */
  replayed: number;
  /**
   * Selected letters not sent because a copy of the same input (the dead-letter report's identity:
   * stage, source, reason, district, payload SHA-256) was sent earlier in this run.
   */
  duplicates: number;
  /**
   * Selected letters not sent because their input already came back refused from an earlier replay
   * (`ReplayHistory`): the letter and the copies the replays left. Sent again only with `again`.
   */
  alreadyReplayed: number;
  /** Events re-sent to usage.raw and usage.enriched. */
  events: number;
  /** Valid items that carry no usage (counted, not sent). */
  skipped: number;
  /** Letters (or items of a multi-item letter) that fail again, by reason code: left on the topic as they are. */
  stillRejected: Record<string, number>;
  /** Letters that cannot be read again on their own, by why. */
  notReplayable: Record<string, number>;
  /** Records on the topic that are not dead letters. */
  unreadable: number;
  dryRun: boolean;
}

export interface ReplayRun {
  kafka: Kafka;
  /** Needed unless `dryRun`. */
  producer?: Producer;
  topics: DlqTopics;
  filter: DeadLetterFilter;
  options?: ReplayOptions;
  /** Count and classify only; send nothing. */
  dryRun?: boolean;
  /** Also re-send inputs that came back refused from an earlier replay (once what refused them is fixed). */
  again?: boolean;
  onProgress?: (s: ReplaySummary) => void;
}

/**
 * Re-sends dead letters after their cause was fixed (a catalog, a key, an adapter): reads usage.dlq
 * up to its current end, re-runs each selected letter's payload through today's adapter, and sends
 * what passes to usage.raw (usage.enriched for letters aggregate refused). Events keep the ids they
 * had, so the downstream duplicate removal makes a second replay of what is stored change nothing.
 * Letters that fail replay's own checks are not sent: the letter stays, and the summary says why.
 * A sent record that enrich or the aggregate refuses again becomes a new letter of the same input
 * there; a later run skips that input (`ReplayHistory`) unless `again`, and each run sends an input once.
 */
export async function replayDeadLetters(run: ReplayRun): Promise<ReplaySummary> {
  const dryRun = run.dryRun ?? false;
  if (!dryRun && !run.producer) throw new Error('replayDeadLetters needs a producer unless dryRun');
  const summary: ReplaySummary = {
    read: 0,
    selected: 0,
    replayed: 0,
    duplicates: 0,
    alreadyReplayed: 0,
    events: 0,
    skipped: 0,
    stillRejected: {},
    notReplayable: {},
    unreadable: 0,
    dryRun,
  };
  // No such topic: letters are not checked against it (a replay of raw letters needs none), and a
  // send to it fails as before. Any other failure to read it fails the run, as reading the letters would.
  const enrichedPartitions = await partitionCount(run.kafka, run.topics.enriched).catch((err: unknown) => {
    if (
      /no partitions|UNKNOWN_TOPIC|does not host this topic/i.test(
        `${(err as Error).message} ${(err as { type?: string }).type ?? ''}`,
      )
    )
      return undefined;
    throw err;
  });
  const options = { ...run.options, ...(enrichedPartitions !== undefined ? { enrichedPartitions } : {}) };
  const again = run.again ?? false;
  // First the whole topic, whatever the filter selects: a letter's input may have come back after it
  // (or outside --since/--until). The second read stops where this one did, so both see the same letters.
  const history = new ReplayHistory();
  const seen = again
    ? null
    : (
        await readTopicToEnd(run.kafka, run.topics.dlq, async (records) => {
          for (const record of records) {
            const letter = parseLetter(record.value);
            if (letter !== null) history.note(letter, letterIdentity(letter));
          }
        })
      ).ends;
  // Inputs sent in this run: one send each, whatever the copies on the topic.
  const sent = new Set<string>();
  await readTopicToEnd(run.kafka, run.topics.dlq, async (records) => {
    const raw: JsonMessage[] = [];
    const enriched: JsonMessage[] = [];
    for (const record of records) {
      if (seen !== null && !(BigInt(record.offset) < BigInt(seen[record.partition] ?? 0))) continue;
      summary.read++;
      const letter = parseLetter(record.value);
      if (letter === null) {
        summary.unreadable++;
        continue;
      }
      if (!matchesFilter(letter, run.filter)) continue;
      summary.selected++;
      const identity = letterIdentity(letter);
      const place = kafkaPosition(run.topics.dlq, record.partition, record.offset);
      if (!again && history.cameBack(identity, place)) {
        summary.alreadyReplayed++;
        continue;
      }
      if (sent.has(identity)) {
        summary.duplicates++;
        continue;
      }
      const outcome = replayLetter(letter, place, options);
      if (outcome.kind === 'still_rejected') bump(summary.stillRejected, outcome.reason.code);
      else if (outcome.kind === 'not_replayable') bump(summary.notReplayable, outcome.why);
      else {
        sent.add(identity);
        summary.replayed++;
        summary.events += outcome.raw.length + outcome.enriched.length;
        summary.skipped += outcome.skipped;
        for (const reason of outcome.rejects) bump(summary.stillRejected, reason.code);
        // One by one: a replayed letter may carry a whole request's events.
        for (const m of outcome.raw) raw.push(m);
        for (const m of outcome.enriched) enriched.push(m);
      }
    }
    if (!dryRun) {
      // Acknowledged before the next batch is read: an interrupted replay is simply run again.
      await produceJson(run.producer!, run.topics.raw, raw);
      await produceJson(run.producer!, run.topics.enriched, enriched);
    }
    run.onProgress?.(summary);
  });
  return summary;
}

/** What is on the dead-letter topic, by stage, source and reason, for letters matching the filter. */
export async function summarizeDeadLetters(
  kafka: Kafka,
  topic: string,
  filter: DeadLetterFilter,
): Promise<{ stage: string; source: string; reason: string; count: number }[]> {
  const counts = new Map<string, number>();
  await readTopicToEnd(kafka, topic, async (records) => {
    for (const record of records) {
      const letter = parseLetter(record.value);
      const key = letter
        ? matchesFilter(letter, filter)
          ? `${letter.stage}\t${letter.source}\t${letter.reason.code}`
          : null
        : '?\t?\tnot_a_dead_letter';
      if (key !== null) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  });
  return [...counts]
    .map(([key, count]) => {
      const [stage, source, reason] = key.split('\t') as [string, string, string];
      return { stage, source, reason, count };
    })
    .sort((a, b) => b.count - a.count || a.stage.localeCompare(b.stage) || a.reason.localeCompare(b.reason));
}

function parseLetter(value: string | null): DeadLetter | null {
  if (value === null) return null;
  const parsed = parseJsonPayload(value);
  if (!parsed.ok) return null;
  const letter = deadLetterSchema.safeParse(parsed.value);
  return letter.success ? letter.data : null;
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
