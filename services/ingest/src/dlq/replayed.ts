import { createHash } from 'node:crypto';
import { parseJsonPayload, type DeadLetter } from '@edusage/contracts';
import { REPLAY_ORIGIN_PREFIX } from './replay-letter';

/**
 * One input as the dead-letter report counts it (packages/reports `deadLetterSummary`: per stage, source
 * and reason code, the distinct district, reason field and line, and payload SHA-256). Its copies share
 * it: an item a client sent twice, a record a stage refused again on redelivery, and a record `dlq
 * replay` sent that enrich or the aggregate refused again (replay re-sends their refused text as it was).
 */
export function letterIdentity(letter: DeadLetter): string {
  const sha256 = createHash('sha256').update(letter.payload).digest('hex');
  return JSON.stringify([
    letter.stage,
    letter.source,
    letter.reason.code,
    letter.district_id ?? '',
    letter.reason.field ?? '',
    letter.reason.line ?? 0,
    sha256,
  ]);
}

/**
 * Which inputs on the dead-letter topic already came back refused from an earlier replay. Replay keeps
 * no record of its own (every run reads the whole topic and commits nothing); the topic is the record,
 * since a replayed record that a stage refused again is a new letter there that can be told apart:
 * - enrich and the aggregate refuse it with the payload of the letter it was replayed from (the same
 *   input) but another origin: the record's new place on usage.raw or usage.enriched. The same place
 *   twice is a redelivery of one record, not a replay; a client's re-send has another `received_at`,
 *   so another payload.
 * - an event replay adapted again from an ingest or import letter (or a raw message that had no origin)
 *   carries `origin: "dlq:<that letter's place>"`, which enrich's letter keeps in its payload.
 * Such an input was replayed and failed again downstream: replaying it again before that stage is fixed
 * only adds one more letter each time (and, before this, every copy was replayed: they doubled).
 */
export class ReplayHistory {
  /** Per input refused by enrich or the aggregate: its first letter's origin, or null once it came back. */
  private readonly firstOrigin = new Map<string, string | null>();
  /** Places on the dead-letter topic of letters whose replay enrich refused. */
  private readonly replayedPlaces = new Set<string>();

  /** Notes one letter of the topic; every letter, selected or not, before any is judged. */
  note(letter: DeadLetter, identity: string): void {
    if (letter.stage !== 'enrich' && letter.stage !== 'aggregate') return;
    const from = letter.stage === 'enrich' ? replayedFrom(letter.payload) : null;
    if (from !== null) {
      this.replayedPlaces.add(from);
      this.firstOrigin.set(identity, null);
      return;
    }
    if (letter.origin === undefined) return;
    const first = this.firstOrigin.get(identity);
    if (first === undefined) this.firstOrigin.set(identity, letter.origin);
    else if (first !== null && first !== letter.origin) this.firstOrigin.set(identity, null);
  }

  /** Whether the letter at `place` (a place on the dead-letter topic) is an input that came back. */
  cameBack(identity: string, place: string): boolean {
    if (this.firstOrigin.get(identity) === null) return true;
    if (!this.replayedPlaces.has(place)) return false;
    // The run that replayed it sent one copy of the input for all: the copies read after it are skipped too.
    this.firstOrigin.set(identity, null);
    return true;
  }
}

/** The place on the dead-letter topic a raw message was replayed from, else null. */
function replayedFrom(payload: string): string | null {
  // Most payloads are not replays: parsed only when the prefix occurs.
  if (!payload.includes(`"${REPLAY_ORIGIN_PREFIX}`)) return null;
  const parsed = parseJsonPayload(payload);
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null) return null;
  const origin = (parsed.value as { origin?: unknown }).origin;
  return typeof origin === 'string' && origin.startsWith(REPLAY_ORIGIN_PREFIX)
    ? origin.slice(REPLAY_ORIGIN_PREFIX.length)
    : null;
}
