import type { EventType } from '../native-event';
import { eventOutcome, rejectOutcome, skipOutcome, type Meaning, type MeaningSkipCode } from './types';

/**
 * The meaning of Caliper events: the single source of truth the Caliper adapter follows and
 * docs/MEANING.md is checked against (`packages/contracts/test/meaning-table.test.ts`).
 * Types and actions match by their last IRI segment (Caliper 1.0 sends IRIs).
 */
export interface CaliperRow extends Meaning {
  /** Event type (`MediaEvent`). */
  type: string;
  /** Actions of that type with this meaning. */
  actions: string[];
  /** Caliper versions that define the (type, action) pairs. */
  versions: string[];
  /** Properties the specification requires for this event type (missing → `invalid_field`). */
  requires?: string[];
}

/** A rule that is not about one (type, action) pair. */
export interface CaliperShapeRow extends Meaning {
  shape: string;
}

function usage(
  type: string,
  actions: string[],
  versions: string[],
  why: string,
  native: EventType = 'use',
): CaliperRow {
  const time = native === 'login' || native === 'logout' ? 'none' : 'minute';
  return { type, actions, versions, outcome: eventOutcome(native), whose: 'actor', time, why };
}

const ALL = ['1.0', '1.1', '1.2'];
const V11 = ['1.1', '1.2'];
const V12 = ['1.2'];

export const CALIPER_TABLE: readonly CaliperRow[] = [
  usage('SessionEvent', ['LoggedIn'], ALL, 'the person signed in', 'login'),
  usage('SessionEvent', ['LoggedOut'], ALL, 'the person signed out', 'logout'),
  {
    type: 'SessionEvent',
    actions: ['TimedOut'],
    versions: ALL,
    outcome: eventOutcome('logout'),
    whose: 'session_user',
    time: 'none',
    why: 'the app (the actor) ended the session of `object.user` (1.0: `object.actor`): that person was active in the session, but nobody acted at that moment',
  },
  {
    type: 'ToolUseEvent',
    actions: ['Used'],
    versions: V11,
    outcome: eventOutcome('use'),
    whose: 'actor',
    time: 'duration_or_minute',
    why: 'the person used the tool; `generated` MinutesOnTask × 60 is the time, else a minute (a MinutesOnTask measured over more than a day: see the shapes below)',
  },
  usage('NavigationEvent', ['NavigatedTo'], ALL, 'the person opened a page or resource', 'page_view'),
  usage('ViewEvent', ['Viewed'], ALL, 'the person looked at a resource', 'page_view'),
  usage('ReadingEvent', ['Viewed', 'NavigatedTo'], ['1.0'], 'the person read a page', 'page_view'),
  usage('ReadingEvent', ['Searched'], ['1.0'], 'the person searched the reading'),
  usage(
    'Event',
    ['Viewed', 'NavigatedTo'],
    ALL,
    'the generic event of minimal (1.0) sensors: a page view',
    'page_view',
  ),
  usage(
    'AnnotationEvent',
    ['Bookmarked', 'Highlighted', 'Shared', 'Tagged'],
    ALL,
    'the person annotated a document in a reader',
  ),
  usage(
    'AssessmentEvent',
    ['Started', 'Paused', 'Resumed', 'Restarted', 'Reset', 'Submitted'],
    ALL,
    'the learner worked on a quiz or test in the app',
  ),
  usage(
    'AssessmentItemEvent',
    ['Started', 'Skipped', 'Completed', 'Reviewed', 'Submitted'],
    ALL,
    'the learner worked on a question (Submitted is not in the specification for items, but sensors send it for a submitted answer)',
  ),
  usage(
    'AssignableEvent',
    ['Activated', 'Deactivated', 'Started', 'Completed', 'Submitted', 'Reviewed'],
    ALL,
    "the actor worked with an assignment (a teacher activating it counts as the teacher's use)",
  ),
  usage(
    'MediaEvent',
    [
      'Started',
      'Ended',
      'Paused',
      'Resumed',
      'Restarted',
      'ForwardedTo',
      'JumpedTo',
      'ChangedResolution',
      'ChangedSize',
      'ChangedSpeed',
      'ChangedVolume',
      'EnabledClosedCaptioning',
      'DisabledClosedCaptioning',
      'EnteredFullScreen',
      'ExitedFullScreen',
      'Muted',
      'Unmuted',
      'OpenedPopout',
      'ClosedPopout',
    ],
    ALL,
    'the learner used a media player (the same video activity as xAPI played/paused)',
  ),
  usage(
    'MessageEvent',
    ['Posted', 'MarkedAsRead', 'MarkedAsUnread'],
    V11,
    'the person posted or read a message in a discussion',
  ),
  usage('ThreadEvent', ['MarkedAsRead', 'MarkedAsUnread'], V11, 'the person read a discussion thread'),
  usage('ForumEvent', ['Subscribed', 'Unsubscribed'], V11, 'the person followed a forum'),
  usage('FeedbackEvent', ['Commented', 'Ranked'], V12, 'the person commented on or rated a resource'),
  usage('SearchEvent', ['Searched'], V12, 'the person searched in the app'),
  usage(
    'ResourceManagementEvent',
    [
      'Archived',
      'Copied',
      'Created',
      'Deleted',
      'Described',
      'Downloaded',
      'Modified',
      'Printed',
      'Published',
      'Restored',
      'Retrieved',
      'Saved',
      'Unpublished',
      'Uploaded',
    ],
    V12,
    'the person managed content in the app (often a teacher)',
  ),
  usage('QuestionnaireEvent', ['Started', 'Submitted', 'Completed'], V12, 'the person filled in a questionnaire'),
  usage(
    'QuestionnaireItemEvent',
    ['Started', 'Skipped', 'Completed', 'Submitted'],
    V12,
    'the person answered a questionnaire item',
  ),
  usage('SurveyEvent', ['OptedIn', 'OptedOut'], V12, 'the person opted in or out of a survey'),
  usage(
    'SurveyInvitationEvent',
    ['Accepted', 'Declined', 'Sent'],
    V12,
    'the person handled a survey invitation in the app',
  ),
  {
    ...usage(
      'ToolLaunchEvent',
      ['Launched', 'Returned'],
      V12,
      'the person opened a tool from the platform (`edApp`) or came back: a click in the platform; the tool counts its own events',
    ),
    requires: ['federatedSession'],
  },
  {
    type: 'GradeEvent',
    actions: ['Graded'],
    versions: V11,
    outcome: skipOutcome('grading'),
    whose: 'nobody',
    time: 'none',
    why: "the grader's (or auto-grader's) act on the learner's attempt, not the learner's use; skipped whoever the actor is",
  },
  {
    type: 'OutcomeEvent',
    actions: ['Graded'],
    versions: ['1.0'],
    outcome: skipOutcome('grading'),
    whose: 'nobody',
    time: 'none',
    why: 'Caliper 1.0 name of GradeEvent',
  },
];

/** ToolUseEvent whose MinutesOnTask covers more than a day: a cumulative report (the adapter skips it). */
export const CALIPER_PERIOD_REPORT: CaliperShapeRow & { outcome: { kind: 'skip'; code: MeaningSkipCode } } = {
  shape: 'ToolUseEvent whose MinutesOnTask measure has `startedAtTime` and `endedAtTime` more than one day apart',
  outcome: { kind: 'skip', code: 'aggregate_report' },
  whose: 'nobody',
  time: 'none',
  why: 'a cumulative report of the time on task over the period (the 1EdTech example: 873 minutes from 2019-08-15 to 2019-11-15), not use at `eventTime`: crediting it to one day would put the whole period on that day, and each later report would add its larger total again',
};

export const CALIPER_SHAPE_TABLE: readonly CaliperShapeRow[] = [
  {
    shape: 'known type, other action',
    outcome: rejectOutcome('unsupported_event', 'action'),
    whose: 'nobody',
    time: 'none',
    why: 'an action the specification does not define for the type (e.g. SessionEvent Deleted, generic Event Created): its meaning is unknown',
  },
  {
    shape: 'other event type',
    outcome: rejectOutcome('unsupported_event', 'type'),
    whose: 'nobody',
    time: 'none',
    why: "not a Caliper 1.0–1.2 event; with `otherEvents: 'use'` an event of any type by a Person counts as `use` (a minute)",
  },
  {
    shape: 'a usage row whose actor is not a Person',
    outcome: rejectOutcome('unsupported_event', 'actor.type'),
    whose: 'nobody',
    time: 'none',
    why: "usage is a person's; only TimedOut (the session user) and the grading rows accept a software actor",
  },
  {
    shape: 'entity (no action/actor/eventTime, type not ending in Event) inside an Envelope',
    outcome: skipOutcome('caliper_entity'),
    whose: 'nobody',
    time: 'none',
    why: 'sensors send entity "describe" envelopes; data, not an event',
  },
  {
    shape: 'entity posted on its own',
    outcome: rejectOutcome('unsupported_event', 'type'),
    whose: 'nobody',
    time: 'none',
    why: 'a lone entity where an event was expected is a sender mistake',
  },
  CALIPER_PERIOD_REPORT,
];

const BY_PAIR = new Map<string, CaliperRow>();
for (const row of CALIPER_TABLE) for (const a of row.actions) BY_PAIR.set(`${row.type} ${a}`, row);
const KNOWN_TYPES = new Set(CALIPER_TABLE.map((r) => r.type));

/** The table row for a (type, action) pair; `unknown_action` / `unknown_type` when none. */
export function caliperMeaning(type: string, action: string): CaliperRow | 'unknown_action' | 'unknown_type' {
  const row = BY_PAIR.get(`${type} ${action}`);
  if (row) return row;
  return KNOWN_TYPES.has(type) ? 'unknown_action' : 'unknown_type';
}
