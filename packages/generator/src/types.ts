import type { EventType, Source } from '@edusage/contracts';

/** Options of `generateDistrict`. Only `seed` is required; see DEFAULTS in options.ts. */
export interface GenerateOptions {
  seed: number;
  /** Native `district_id` and the sourcedId of the district org. Default 'd1'. */
  districtId?: string;
  /** Display name. Default derived from the seed, e.g. 'Maple Valley School District'. */
  districtName?: string;
  /** Email / Caliper IRI domain. Default `<districtId>.k12.example.org`. */
  domain?: string;
  /** IANA zone of the district. Default 'America/Chicago'. */
  timezone?: string;
  /** Number of schools (1..200). Default 3. */
  schools?: number;
  /** Classes per school. Default 8. */
  classesPerSchool?: number;
  /** Students in each class (class size). Default 25. */
  studentsPerClass?: number;
  /**
   * Classes each student takes (a cohort of students shares this many classes). Default 4.
   * Students per school = ceil(classesPerSchool / classesPerStudent) × studentsPerClass.
   */
  classesPerStudent?: number;
  /** Calendar days of events. Default 5. */
  days?: number;
  /**
   * First local date of events, YYYY-MM-DD. Default: the Monday of the week that holds
   * (local date of `now`) − (days + 1), so every event is in the past and the default output
   * changes only when that date changes. Tests should pass it explicitly.
   */
  startDate?: string;
  /** Only used for the default startDate. Default: the current time. */
  now?: Date | string | number;
  /** Mean events per student per school day (all formats; weekends get ~15%). Default 12. */
  eventsPerStudentDay?: number;
  /** Share of events turned malformed, per format. Default 0.01. */
  malformedRate?: number;
  /** Share of (valid native and Caliper) lines sent twice, as a retrying client would. Default 0.004. */
  duplicateRate?: number;
}

export type ResolvedOptions = Required<Omit<GenerateOptions, 'now'>>;

export type EventFormat = 'native' | 'caliper' | 'squid';

/** Paths of the event files relative to the output directory. */
export const EVENT_FILES = {
  native: 'events/native.ndjson',
  caliper: 'events/caliper.ndjson',
  squid: 'events/squid-access.log',
} as const satisfies Record<EventFormat, string>;
export type EventFile = (typeof EVENT_FILES)[EventFormat];

export type MalformedReason =
  /** Line is not parseable JSON (cut off). field: null. */
  | 'not_json'
  /** native: active_seconds is a string; caliper: eventTime is a number. */
  | 'wrong_type'
  /** native: user is {}; squid: rfc931 column is '-'. */
  | 'missing_user'
  /** caliper: no actor. */
  | 'missing_actor'
  /** native: active_seconds < 0; caliper: MinutesOnTask metricValue < 0. */
  | 'negative_duration'
  /** Timestamp about 400 days after the intended one. */
  | 'future_timestamp'
  /** squid: a line that is not an access-log line at all. field: null. */
  | 'garbage_line';

export interface Malformation {
  reason: MalformedReason;
  /**
   * Where it is wrong. native: the zod path joined with '.' exactly as `reasonFromZod` reports it
   * (e.g. 'active_seconds', 'user', 'occurred_at'); caliper: the JSON path inside the event
   * ('actor', 'eventTime', 'generated.items.0.metricValue'); squid: the column name ('rfc931',
   * 'time'). null when the whole line is unreadable.
   */
  field: string | null;
}

/**
 * The truth about one generated event: what was meant, so a test can compute expected numbers
 * without parsing the files. One per native/squid line; one per event in a Caliper envelope.
 */
export interface TruthEvent {
  /** 0-based position in the order `events()` yields (files are written in this order). */
  seq: number;
  format: EventFormat;
  file: EventFile;
  /** 1-based line in `file`. */
  line: number;
  /** Position in the Caliper envelope's `data` (0 for native and squid). */
  index: number;
  /** native event_id or Caliper event id (`urn:uuid:…`); null for squid lines. */
  event_id: string | null;
  malformed: Malformation | null;
  /** seq of the first copy when this is a re-sent duplicate (identical event); else null. */
  duplicate_of: number | null;
  /** Intended instant, ISO 8601 with the district's offset (whole seconds). */
  occurred_at: string;
  epoch_ms: number;
  /** District-local calendar day. */
  local_date: string;
  /**
   * Native type it stands for: Caliper ToolUse → use, LoggedIn → login, NavigatedTo → page_view;
   * squid GET of a page → page_view, CONNECT tunnel → heartbeat (docs/MEANING.md "Proxy logs").
   */
  type: EventType;
  /** Native source: agent | extension (native), caliper, proxy (squid). */
  source: Source;
  /** The person identifier as sent (exactly one of these is set). */
  user: { sourced_id?: string; email?: string; username?: string };
  /** Roster sourcedId of the person, or null when the identifier is not in the roster (unresolved). */
  person_sourced_id: string | null;
  role: 'student' | 'teacher' | null;
  /** Catalog app id, or null when the domain is in no catalog (unresolved app). */
  app_id: string | null;
  /** Host the event names (null when the event names only an app_id). */
  domain: string | null;
  /** Explicit duration in seconds (native active_seconds, Caliper MinutesOnTask × 60); else null. */
  active_seconds: number | null;
  /** Explicit class context carried by the event (native class_id, Caliper group); else null. */
  class_id: string | null;
  client_ip: string | null;
  /** From client_ip and networks.json; 'unknown' when the event has no IP (Caliper). */
  campus: 'on' | 'off' | 'unknown';
  /** School whose network holds client_ip (on campus only). */
  network_school_id: string | null;
}

/** One line of one event file, with the events it carries. */
export interface SampleRecord {
  format: EventFormat;
  file: EventFile;
  line: number;
  /** The exact line, without the newline. */
  text: string;
  /** 1 for native and squid; 1..n for a Caliper envelope; 0 for a squid line that carries no event. */
  events: TruthEvent[];
  /** Why a line carries no event though it is valid (the adapter's skip reason, docs/MEANING.md "Proxy logs"). */
  skip?: SkipReason;
}

/** Skip reasons of valid generated lines that carry no event. */
export type SkipReason = 'proxy_folded' | 'proxy_failed';

export interface AppDef {
  app_id: string;
  name: string;
  vendor: string;
  /** Registered domains; a host matches when equal to one or ending in '.' + one. */
  domains: string[];
  /** Host used in URLs and proxy lines. */
  host: string;
  /** Sends Caliper (its edApp IRI is `https://<host>/`). */
  caliper: boolean;
}

export interface OrgRow {
  sourcedId: string;
  status: string;
  dateLastModified: string;
  name: string;
  type: string;
  identifier: string;
  parentSourcedId: string;
}
export interface AcademicSessionRow {
  sourcedId: string;
  status: string;
  dateLastModified: string;
  title: string;
  type: string;
  startDate: string;
  endDate: string;
  parentSourcedId: string;
  schoolYear: string;
}
export interface CourseRow {
  sourcedId: string;
  status: string;
  dateLastModified: string;
  schoolYearSourcedId: string;
  title: string;
  courseCode: string;
  grades: string;
  orgSourcedId: string;
  subjects: string;
  subjectCodes: string;
}
export interface ClassRow {
  sourcedId: string;
  status: string;
  dateLastModified: string;
  title: string;
  grades: string;
  courseSourcedId: string;
  classCode: string;
  classType: string;
  location: string;
  schoolSourcedId: string;
  termSourcedIds: string;
  subjects: string;
  subjectCodes: string;
  periods: string;
}
export interface UserRow {
  sourcedId: string;
  status: string;
  dateLastModified: string;
  enabledUser: string;
  orgSourcedIds: string;
  role: string;
  username: string;
  userIds: string;
  givenName: string;
  familyName: string;
  middleName: string;
  identifier: string;
  email: string;
  sms: string;
  phone: string;
  agentSourcedIds: string;
  grades: string;
  password: string;
}
export interface EnrollmentRow {
  sourcedId: string;
  status: string;
  dateLastModified: string;
  classSourcedId: string;
  schoolSourcedId: string;
  userSourcedId: string;
  role: string;
  primary: string;
  beginDate: string;
  endDate: string;
}
export interface DemographicsRow {
  sourcedId: string;
  status: string;
  dateLastModified: string;
  birthDate: string;
  sex: string;
  americanIndianOrAlaskaNative: string;
  asian: string;
  blackOrAfricanAmerican: string;
  nativeHawaiianOrOtherPacificIslander: string;
  white: string;
  demographicRaceTwoOrMoreRaces: string;
  hispanicOrLatinoEthnicity: string;
  countryOfBirthCode: string;
  stateOfBirthAbbreviation: string;
  cityOfBirth: string;
  publicSchoolResidenceStatus: string;
}
export interface ManifestRow {
  propertyName: string;
  value: string;
}

export interface Roster {
  manifest: ManifestRow[];
  orgs: OrgRow[];
  academicSessions: AcademicSessionRow[];
  courses: CourseRow[];
  classes: ClassRow[];
  users: UserRow[];
  enrollments: EnrollmentRow[];
  demographics: DemographicsRow[];
}

/** District extension: which apps each course uses (input to class inference). */
export interface CourseAppRow {
  courseSourcedId: string;
  appId: string;
}

/** One line of licenses.ts (packages/licenses/README.md describes the columns). */
export interface LicenseRow {
  licenseId: string;
  appId: string;
  vendor: string;
  /** District org sourcedId (district-wide licence) or a school's. */
  orgSourcedId: string;
  seatsPurchased: number | 'unlimited';
  /** US dollars: for the term (flat), per seat, or per student in scope, as `costBasis` says. */
  contractCost: number;
  costBasis: 'flat' | 'per_seat' | 'per_student';
  currency: string;
  contractStartDate: string;
  contractEndDate: string;
  renewalDate: string;
  audience: 'students' | 'teachers' | 'all';
  /** Grade band like `06-12`, '' = every grade. */
  grades: string;
  notes: string;
}

/** One line of approvals.csv: the district's review of an app (absent apps are not reviewed). */
export interface ApprovalRow {
  appId: string;
  status: 'approved' | 'pending' | 'denied' | 'not_reviewed';
  dpaSignedOn: string;
  dpaExpiresOn: string;
  note: string;
}

/** Identities that send events but are not in the roster (unresolved people). */
export interface UnknownPerson {
  key: string;
  user: { sourced_id?: string; email?: string; username?: string };
}

export interface DayInfo {
  date: string;
  /** Monday..Friday. */
  schoolDay: boolean;
  /** Offset of the zone at local noon, minutes. */
  utcOffsetMinutes: number;
}

export interface SampleDistrict {
  options: ResolvedOptions;
  district: { id: string; name: string; domain: string; timezone: string };
  roster: Roster;
  courseApps: CourseAppRow[];
  /** School org sourcedId → CIDR ranges of its networks (everything else is off campus). */
  networks: Record<string, string[]>;
  /** The app catalog (apps.json). */
  apps: AppDef[];
  /** Domains that appear in events but are in no catalog. */
  unresolvedDomains: string[];
  unknownPeople: UnknownPerson[];
  licenses: LicenseRow[];
  approvals: ApprovalRow[];
  days: DayInfo[];
  /**
   * Every line of every event file, in write order, generated lazily (each call starts over and
   * yields the same lines). Memory stays at about one day of events.
   */
  records(): IterableIterator<SampleRecord>;
  /** The same, flattened to events (seq order). */
  events(): IterableIterator<TruthEvent>;
}

export interface WrittenFiles {
  dir: string;
  roster: {
    dir: string;
    manifest: string;
    orgs: string;
    academicSessions: string;
    courses: string;
    classes: string;
    users: string;
    enrollments: string;
    demographics: string;
  };
  courseApps: string;
  networks: string;
  apps: string;
  licenses: string;
  approvals: string;
  native: string;
  caliper: string;
  squid: string;
  /** truth.ndjson: one TruthEvent per line (absent when written with { truth: false }). */
  truth: string | null;
  summary: string;
  /** Data lines (CSV rows without header, NDJSON lines, log lines) per written path, relative to dir. */
  counts: Record<string, number>;
  stats: GenerationStats;
}

export interface GenerationStats {
  events: number;
  lines: Record<EventFormat, number>;
  eventsByFormat: Record<EventFormat, number>;
  malformed: Record<EventFormat, number>;
  malformedByReason: Record<string, number>;
  duplicates: number;
  unresolvedPersonEvents: number;
  unresolvedAppEvents: number;
  eventsByApp: Record<string, number>;
  seconds: number;
}
