import type { EventType } from '../native-event';
import type { RejectReason } from '../reject';

/**
 * Why a valid input carries no usage (the `reason` of an AdaptResult `skipped` entry). Stable codes:
 * callers count skips by them.
 */
export type MeaningSkipCode =
  /** A grade, score or evaluation of the actor's work, made by a grader or the system. */
  | 'grading'
  /** A status the LMS records about the learner (cmi5 satisfied, waived), not an act of the learner. */
  | 'system_record'
  /** A statement about a plan or another statement (SubStatement, "planned"): nothing was used. */
  | 'planned'
  /** A voiding statement cancels an earlier statement; it is not usage. */
  | 'voided'
  /** Enrolment and registration are roster data, often sent by an admin for the learner. */
  | 'enrolment'
  /** A Caliper entity description inside an envelope (data, not an event). */
  | 'caliper_entity'
  /**
   * A duration reported for a period longer than a day (a term's MinutesOnTask, a month's learning
   * time): a cumulative report, not activity at its timestamp.
   */
  | 'aggregate_report';

/** What an input becomes: a native event of a type, a documented skip, or a rejection. */
export type MeaningOutcome =
  | { kind: 'event'; type: EventType }
  | { kind: 'skip'; code: MeaningSkipCode }
  | { kind: 'reject'; code: RejectReason['code']; field: string };

/** Whose usage an event is: the actor, the user of the session the event reports, or nobody. */
export type Whose = 'actor' | 'session_user' | 'nobody';

/**
 * How an event adds engaged time (docs/ARCHITECTURE.md "Metric rules"):
 * - `duration_or_minute`: its explicit duration (xAPI `result.duration`, Caliper MinutesOnTask) when
 *   given, else one minute (60 s per person × app × UTC minute);
 * - `duration_only`: its explicit duration when given, else nothing (never a minute);
 * - `minute`: one minute; the source format carries no duration we read;
 * - `none`: no time (login/logout, skips, rejections; `use` inside a cmi5 session gets an explicit 0 s).
 */
export type TimeRule = 'duration_or_minute' | 'duration_only' | 'minute' | 'none';

export interface Meaning {
  outcome: MeaningOutcome;
  whose: Whose;
  time: TimeRule;
  /** One sentence: why this is (or is not) usage. Rendered into docs/MEANING.md. */
  why: string;
}

export const eventOutcome = (type: EventType): MeaningOutcome => ({ kind: 'event', type });
export const skipOutcome = (code: MeaningSkipCode): MeaningOutcome => ({ kind: 'skip', code });
export const rejectOutcome = (code: RejectReason['code'], field: string): MeaningOutcome => ({
  kind: 'reject',
  code,
  field,
});

export function isUsage(m: Pick<Meaning, 'outcome'>): boolean {
  return m.outcome.kind === 'event';
}

/** `use`, `skip: grading`, `reject: unsupported_event@type`. */
export function outcomeLabel(o: MeaningOutcome): string {
  if (o.kind === 'event') return o.type;
  if (o.kind === 'skip') return `skip: ${o.code}`;
  return `reject: ${o.code}@${o.field}`;
}
