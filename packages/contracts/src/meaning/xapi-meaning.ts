import type { EventType } from '../native-event';
import { eventOutcome, rejectOutcome, skipOutcome, type Meaning, type MeaningOutcome, type TimeRule } from './types';

/**
 * The meaning of xAPI statements: the single source of truth the xAPI adapter follows and
 * docs/MEANING.md is checked against (`packages/contracts/test/meaning-table.test.ts`).
 *
 * Verbs match by the last segment of `verb.id`, lower-cased, so the same word in another namespace
 * (a custom profile's `…/verbs/terminated`) means the same. The `iris` are the ones the named
 * emitters and profiles actually send; the table test runs a statement with each of them.
 */
export interface XapiVerbRow extends Meaning {
  /** Last segments of `verb.id` this row matches (lower case). */
  words: string[];
  /** Verb IRIs sent by the families below. */
  iris: string[];
  /** Vocabularies/emitters that send these verbs. */
  families: string[];
  /** Meaning inside a cmi5 session (the statement carries the cmi5 session id extension). */
  inCmi5Session: { outcome: MeaningOutcome; time: TimeRule };
}

/** A rule on the statement's shape that applies before its verb. */
export interface XapiShapeRow extends Meaning {
  id: 'substatement' | 'course_status' | 'period_report' | 'group_actor';
  shape: string;
}

/** Verbs that, about a whole course, are a status the LMS computes (see the `course_status` shape). */
export const COURSE_STATUS_WORDS: readonly string[] = ['completed', 'passed', 'failed', 'progressed'];

/**
 * Last segments of extension IRIs (lower case, without `-` and `_`) that give the start and the end of
 * the period a statement reports on. xAPI has no standard extension for it; these are the words
 * profiles use (1EdTech Japan DA2022 `…/startdate`, `…/enddate`; Caliper's `startedAtTime`).
 */
export const PERIOD_START_WORDS: readonly string[] = ['startdate', 'starttime', 'startedattime', 'periodstart'];
export const PERIOD_END_WORDS: readonly string[] = ['enddate', 'endtime', 'endedattime', 'periodend'];

/** `object.definition.type` of a whole course: ADL `…/activities/course`, cmi5 `…/activitytype/course`. */
export function isCourseActivityType(type: unknown): boolean {
  return typeof type === 'string' && /\/(activities|activitytype)\/course\/?$/i.test(type.trim());
}

/** cmi5 puts this context extension on every statement of an AU session (cmi5 §9.6.3.1). */
export const CMI5_SESSION_EXTENSION = 'https://w3id.org/xapi/cmi5/context/extensions/sessionid';

const ADL = 'http://adlnet.gov/expapi/verbs/';
const W3ID_ADL = 'https://w3id.org/xapi/adl/verbs/';
const VIDEO = 'https://w3id.org/xapi/video/verbs/';
const AS = 'http://activitystrea.ms/schema/1.0/';
const EDLM = 'https://xapi.edlm/profiles/edlm-lms/concepts/verbs/';

/** Inside a cmi5 session the session's closing statement carries its time; the others add none. */
const IN_SESSION_NO_TIME = { outcome: eventOutcome('use'), time: 'none' as const };

function usage(words: string[], iris: string[], families: string[], why: string, type: EventType = 'use'): XapiVerbRow {
  const time: TimeRule = type === 'login' || type === 'logout' ? 'none' : 'duration_or_minute';
  return {
    words,
    iris,
    families,
    outcome: eventOutcome(type),
    whose: 'actor',
    time,
    why,
    inCmi5Session: type === 'use' ? IN_SESSION_NO_TIME : { outcome: eventOutcome(type), time: 'none' },
  };
}

function notUsage(
  words: string[],
  iris: string[],
  families: string[],
  code: Parameters<typeof skipOutcome>[0],
  why: string,
): XapiVerbRow {
  const outcome = skipOutcome(code);
  return {
    words,
    iris,
    families,
    outcome,
    whose: 'nobody',
    time: 'none',
    why,
    inCmi5Session: { outcome, time: 'none' },
  };
}

export const XAPI_VERB_TABLE: readonly XapiVerbRow[] = [
  // Sessions.
  usage(
    ['logged-in', 'loggedin', 'login', 'log-in', 'logged_in'],
    [`${W3ID_ADL}logged-in`, `${EDLM}login`],
    ['ADL', 'Moodle'],
    'the person signed in to the app',
    'login',
  ),
  usage(
    ['logged-out', 'loggedout', 'logout', 'log-out', 'logged_out'],
    [`${W3ID_ADL}logged-out`, `${EDLM}logout`],
    ['ADL', 'Moodle'],
    'the person signed out',
    'logout',
  ),
  {
    words: ['abandoned'],
    iris: [`${W3ID_ADL}abandoned`],
    families: ['cmi5'],
    outcome: eventOutcome('logout'),
    whose: 'actor',
    time: 'none',
    why:
      'the LMS reports that a session ended without the learner (a time-out or a closed window): nobody acted at that moment, so no minute; ' +
      'inside a cmi5 session it closes the session in place of Terminated and its duration (launch to last statement, cmi5 §9.5.4.2) is the session time',
    inCmi5Session: { outcome: eventOutcome('use'), time: 'duration_only' },
  },
  {
    words: ['terminated'],
    iris: [`${ADL}terminated`],
    families: ['ADL', 'cmi5', 'video', 'SCORM profile', 'Open edX'],
    outcome: eventOutcome('use'),
    whose: 'actor',
    time: 'duration_or_minute',
    why:
      'the learner closed the activity (a player, an AU, a timed exam): an act in the app like paused or played; ' +
      'in a cmi5 session its duration is the whole session (initialized to terminated, cmi5 §9.5.4.1), the only duration of the session that counts',
    inCmi5Session: { outcome: eventOutcome('use'), time: 'duration_or_minute' },
  },
  // Looking at things.
  usage(
    ['viewed', 'experienced', 'navigated', 'navigated-to', 'navigatedto'],
    ['http://id.tincanapi.com/verb/viewed', `${ADL}experienced`, 'https://w3id.org/xapi/dod-isd/verbs/navigated'],
    ['ADL', 'Moodle', 'Open edX'],
    'the learner opened or looked at a page or resource',
    'page_view',
  ),
  // Working in the app: the learner's own acts.
  usage(
    ['launched', 'initialized', 'completed', 'passed', 'failed'],
    [`${ADL}launched`, `${ADL}initialized`, `${ADL}completed`, `${ADL}passed`, `${ADL}failed`],
    ['ADL', 'cmi5', 'SCORM profile', 'video', 'Moodle', 'Open edX'],
    'the learner started, finished or passed/failed an activity; in a cmi5 session their durations overlap the session duration (Terminated), so they add no time there',
  ),
  usage(
    ['played', 'paused', 'seeked'],
    [`${VIDEO}played`, `${VIDEO}paused`, `${VIDEO}seeked`],
    ['video', 'Open edX'],
    'the learner used a video player',
  ),
  usage(
    ['suspended', 'resumed'],
    [`${ADL}suspended`, `${ADL}resumed`],
    ['ADL', 'SCORM profile'],
    'the learner paused or resumed an attempt',
  ),
  usage(
    ['answered', 'attempted', 'asked', 'responded', 'interacted', 'progressed', 'mastered'],
    [
      `${ADL}answered`,
      `${ADL}attempted`,
      `${ADL}asked`,
      `${ADL}responded`,
      `${ADL}interacted`,
      `${ADL}progressed`,
      `${ADL}mastered`,
    ],
    ['ADL', 'SCORM profile', 'video', 'Moodle', 'Open edX'],
    'the learner worked on a question or an activity',
  ),
  usage(
    ['commented', 'shared', 'posted', 'attended', 'preferred', 'imported'],
    [
      `${ADL}commented`,
      `${ADL}shared`,
      'https://w3id.org/xapi/acrossx/verbs/posted',
      `${ADL}attended`,
      `${ADL}preferred`,
      `${ADL}imported`,
    ],
    ['ADL', 'Open edX'],
    'the actor posted, shared, attended or set something in the app',
  ),
  usage(
    ['join', 'leave', 'start', 'submit', 'exited'],
    [`${AS}join`, `${AS}leave`, `${AS}start`, 'http://activitystrea.ms/start', `${AS}submit`, `${ADL}exited`],
    ['Moodle', 'ADL'],
    'the learner joined or left a meeting, started or submitted an attempt, left an activity: acts in the app (not a sign-out)',
  ),
  // Not usage.
  notUsage(
    ['evaluated', 'scored', 'graded', 'earned'],
    [
      'https://w3id.org/xapi/acrossx/verbs/evaluated',
      'https://w3id.org/xapi/tla/verbs/scored',
      `${ADL}scored`,
      'http://id.tincanapi.com/verb/earned',
    ],
    ['Open edX', 'Moodle', 'SCORM profile'],
    'grading',
    "a grade or score about the actor, given by a grader (context.instructor) or computed by the system; the learner's own act (attempted, answered, submitted) is a statement of its own",
  ),
  notUsage(
    ['satisfied', 'waived'],
    [`${W3ID_ADL}satisfied`, `${W3ID_ADL}waived`],
    ['cmi5'],
    'system_record',
    'the LMS records that the learner met the move-on criteria or was excused; the learner did nothing at that moment',
  ),
  notUsage(['planned'], [], ['xAPI spec (SubStatement example)'], 'planned', 'a plan for a future activity'),
  notUsage(
    ['voided'],
    [`${ADL}voided`],
    ['ADL'],
    'voided',
    'cancels an earlier statement; it is not usage (the voided statement is not retracted: future work)',
  ),
  notUsage(
    ['registered', 'unregistered', 'enrolled', 'unenrolled'],
    [`${ADL}registered`, 'http://id.tincanapi.com/verb/unregistered', `${EDLM}enrolled`],
    ['ADL', 'Open edX', 'Moodle'],
    'enrolment',
    'enrolment is roster data, often sent by an admin for the learner',
  ),
];

/** Every verb not in the table. */
export const XAPI_OTHER_VERB: XapiVerbRow = usage(
  [],
  [],
  ['any profile'],
  'a statement that a person did something with an activity is evidence of use; rejecting unknown verbs would lose the usage of every custom profile',
);

export const XAPI_SHAPE_TABLE: readonly XapiShapeRow[] = [
  {
    id: 'substatement',
    shape: '`object.objectType` = SubStatement (any verb)',
    outcome: skipOutcome('planned'),
    whose: 'nobody',
    time: 'none',
    why: 'a SubStatement describes another, usually future or hypothetical, statement ("planned to visit"); nothing was used',
  },
  {
    id: 'course_status',
    shape:
      'verb completed, passed, failed or progressed and `object.definition.type` a course (`…/activities/course`, cmi5 `…/activitytype/course`)',
    outcome: skipOutcome('system_record'),
    whose: 'nobody',
    time: 'none',
    why: "the LMS computes a course grade, completion or progress (Open edX course grade passed/failed, Moodle course completion by its scheduled task, a course's progress percentage), often long after or without any act of the learner; the learner's own work arrives as statements about the course's parts",
  },
  {
    id: 'period_report',
    shape:
      '`result.duration` and, in `context.extensions` or `result.extensions`, a period longer than one day: an extension whose IRI ends in `startdate`, `starttime`, `startedattime` or `periodstart` and one ending in `enddate`, `endtime`, `endedattime` or `periodend` (case, `-` and `_` ignored; dates or date-times, a date end counting its whole day)',
    outcome: skipOutcome('aggregate_report'),
    whose: 'nobody',
    time: 'none',
    why: 'a cumulative report of the time spent over the period (1EdTech Japan DA2022: PT4H35M20S from 2023-01-10 to 2023-02-10), not activity at its timestamp: crediting it to one day would put the whole period on that day, and each new report would add its total again',
  },
  {
    id: 'group_actor',
    shape: '`actor.objectType` = Group',
    outcome: rejectOutcome('unsupported_event', 'actor.objectType'),
    whose: 'nobody',
    time: 'none',
    why: 'a group is not one person; usage is counted per person',
  },
];

const BY_WORD = new Map<string, XapiVerbRow>();
for (const row of XAPI_VERB_TABLE) for (const w of row.words) BY_WORD.set(w, row);

/** Lower-cased last segment of a verb IRI (`…/verbs/Terminated/` → `terminated`). */
export function verbWord(verbId: string): string {
  const v = verbId.trim().replace(/\/+$/, '');
  const cut = Math.max(v.lastIndexOf('/'), v.lastIndexOf('#'));
  return (cut >= 0 ? v.slice(cut + 1) : v).toLowerCase();
}

/** The table row for a verb IRI (the "any other verb" row when none matches). */
export function xapiVerbMeaning(verbId: string): XapiVerbRow {
  return BY_WORD.get(verbWord(verbId)) ?? XAPI_OTHER_VERB;
}

export function xapiShape(id: XapiShapeRow['id']): XapiShapeRow {
  return XAPI_SHAPE_TABLE.find((r) => r.id === id)!;
}

/**
 * The shape rule (other than the Group actor, checked with the actor) that decides a statement's
 * meaning before its verb's usage: a course-level status, or a SubStatement.
 */
export function statementShape(verbId: string, object: Record<string, unknown>): XapiShapeRow | undefined {
  const definition = object['definition'];
  const type =
    typeof definition === 'object' && definition !== null ? (definition as Record<string, unknown>)['type'] : undefined;
  if (COURSE_STATUS_WORDS.includes(verbWord(verbId)) && isCourseActivityType(type)) return xapiShape('course_status');
  if (object['objectType'] === 'SubStatement') return xapiShape('substatement');
  return undefined;
}
