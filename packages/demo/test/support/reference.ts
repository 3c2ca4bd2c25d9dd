/**
 * The expected rollups of a generated district, computed independently of enrich and aggregate: from
 * the generator's truth (what each event means) and the roster rows, with the rules of
 * docs/ARCHITECTURE.md "Metric rules" and services/enrich/README.md "Enrichment rules" written out
 * again in plain code. No service code is called here.
 */
import { createHmac } from 'node:crypto';
import type { AppDef, SampleDistrict, TruthEvent } from '@edusage/generator';

/** One rollup cell (district × app × day × role, or the same per school or per class). */
export interface Cell {
  events: number;
  activeUsers: number;
  explicitSeconds: number;
  activeMinutes: number;
  /** explicitSeconds + 60 × activeMinutes. */
  engagedSeconds: number;
  unresolvedPersonEvents: number;
}

export interface Reference {
  /** `day|app|role` */
  district: Map<string, Cell>;
  /** `school|day|app|role` ('' = no school) */
  school: Map<string, Cell>;
  /** `school|class|day|app|role` */
  class: Map<string, Cell>;
  /** Stored events (valid, first copies). */
  storedEvents: number;
  /** Unresolved person_id (pseudonym) → events. */
  unresolvedPeople: Map<string, number>;
  /** Unresolved app key (`domain:<host>`) → events. */
  unresolvedApps: Map<string, number>;
  /** Events whose class attribution is explicit / inferred / none. */
  attribution: Record<'explicit' | 'inferred' | 'none', number>;
  /** Malformed generated events as `<format>|<generator reason>|<field or ''>` → count (each copy is rejected). */
  malformed: Map<string, number>;
  /** Truth checks that failed (the test expects none): where the generator's intent and the roster disagree. */
  truthMismatches: string[];
  /** What the reports print over the whole sample period (every role together), independently computed. */
  period: PeriodReference;
}

/** A report row over a period: distinct people and days across the period, not sums of daily figures. */
export interface PeriodUsage {
  events: number;
  activeUsers: number;
  engagedSeconds: number;
  activeDays: number;
}

export interface PeriodReference {
  /** app → usage */
  district: Map<string, PeriodUsage>;
  /** `school|app` ('' = no school) */
  school: Map<string, PeriodUsage>;
  /** `school|class|app` */
  class: Map<string, PeriodUsage>;
  /** Stored events with no school attributed. */
  unattributedSchoolEvents: number;
  /** Unresolved app key → distinct people. */
  unresolvedAppUsers: Map<string, number>;
}

interface PeriodAccumulator {
  events: number;
  users: Set<string>;
  explicitSeconds: number;
  /** `person|UTC minute` of hit-style events: a minute counts once per person and app. */
  minutes: Set<string>;
  days: Set<string>;
}

function addPeriod(
  map: Map<string, PeriodAccumulator>,
  key: string,
  person: string,
  day: string,
  seconds: number,
  minute: string | null,
) {
  let acc = map.get(key);
  if (!acc) {
    acc = { events: 0, users: new Set(), explicitSeconds: 0, minutes: new Set(), days: new Set() };
    map.set(key, acc);
  }
  acc.events += 1;
  acc.users.add(person);
  acc.explicitSeconds += seconds;
  if (minute !== null) acc.minutes.add(`${person}|${minute}`);
  acc.days.add(day);
}

function finishPeriod(map: Map<string, PeriodAccumulator>): Map<string, PeriodUsage> {
  const out = new Map<string, PeriodUsage>();
  for (const [key, a] of map) {
    out.set(key, {
      events: a.events,
      activeUsers: a.users.size,
      engagedSeconds: a.explicitSeconds + 60 * a.minutes.size,
      activeDays: a.days.size,
    });
  }
  return out;
}

interface Accumulator {
  events: number;
  users: Set<string>;
  explicitSeconds: number;
  minutes: Set<string>;
  unresolvedPersonEvents: number;
}

function add(
  map: Map<string, Accumulator>,
  key: string,
  person: string,
  seconds: number,
  minute: string | null,
  resolved: boolean,
) {
  let acc = map.get(key);
  if (!acc) {
    acc = { events: 0, users: new Set(), explicitSeconds: 0, minutes: new Set(), unresolvedPersonEvents: 0 };
    map.set(key, acc);
  }
  acc.events += 1;
  acc.users.add(person);
  acc.explicitSeconds += seconds;
  if (minute !== null) acc.minutes.add(`${person}|${minute}`);
  if (!resolved) acc.unresolvedPersonEvents += 1;
}

function finish(map: Map<string, Accumulator>): Map<string, Cell> {
  const out = new Map<string, Cell>();
  for (const [key, a] of map) {
    out.set(key, {
      events: a.events,
      activeUsers: a.users.size,
      explicitSeconds: a.explicitSeconds,
      activeMinutes: a.minutes.size,
      engagedSeconds: a.explicitSeconds + 60 * a.minutes.size,
      unresolvedPersonEvents: a.unresolvedPersonEvents,
    });
  }
  return out;
}

/** The documented pseudonym: first 32 hex of HMAC-SHA256(key, "<district>|<canonical>"). */
export function pseudonym(key: string, districtId: string, canonical: string): string {
  return createHmac('sha256', key).update(`${districtId}|${canonical}`).digest('hex').slice(0, 32);
}

/** The catalog app of a host: longest registered domain that equals the host or is a suffix after a dot. */
function appOfHost(apps: AppDef[], host: string): string | null {
  let best: { id: string; len: number } | null = null;
  for (const app of apps) {
    for (const d of app.domains) {
      const domain = d.toLowerCase().replace(/^www\./, '');
      if ((host === domain || host.endsWith(`.${domain}`)) && (!best || domain.length > best.len)) {
        best = { id: app.app_id, len: domain.length };
      }
    }
  }
  return best?.id ?? null;
}

/** One stored event (valid, first copy) as the pipeline must attribute it: the rules of docs/ARCHITECTURE.md. */
export interface AttributedEvent {
  ev: TruthEvent;
  /** Pseudonym (resolved people: of the roster sourcedId; others: of the identifier as sent). */
  person: string;
  personSourcedId: string | null;
  role: string;
  app: string;
  appResolved: boolean;
  classId: string | null;
  attribution: 'explicit' | 'inferred' | 'none';
  /** '' = no school. */
  schoolId: string;
  day: string;
  seconds: number;
  /** UTC minute of a hit-style event without duration, else null. */
  minute: string | null;
}

/** The stored events of the sample with their attribution; truth/roster disagreements go to `mismatches`. */
export function* attributedEvents(
  sample: SampleDistrict,
  pseudonymKey: string,
  mismatches: string[] = [],
): Generator<AttributedEvent> {
  const districtId = sample.district.id;
  const roster = sample.roster;

  // --- the roster, as plain maps -----------------------------------------------------------------
  const schoolOrgs = new Set(roster.orgs.filter((o) => o.type === 'school').map((o) => o.sourcedId));
  const classes = new Map(roster.classes.map((c) => [c.sourcedId, c]));
  const appsOfCourse = new Map<string, Set<string>>();
  for (const ca of sample.courseApps) {
    const set = appsOfCourse.get(ca.courseSourcedId) ?? new Set<string>();
    set.add(ca.appId);
    appsOfCourse.set(ca.courseSourcedId, set);
  }
  const users = new Map(roster.users.map((u) => [u.sourcedId, u]));
  // An email or username shared by two users resolves to nobody (null).
  const byEmail = new Map<string, string | null>();
  const byUsername = new Map<string, string | null>();
  for (const u of roster.users) {
    for (const [map, value] of [
      [byEmail, u.email],
      [byUsername, u.username],
    ] as const) {
      const k = value.trim().toLowerCase();
      if (k === '') continue;
      map.set(k, map.has(k) && map.get(k) !== u.sourcedId ? null : u.sourcedId);
    }
  }
  const enrollmentsOf = new Map<string, typeof roster.enrollments>();
  for (const e of roster.enrollments) {
    const list = enrollmentsOf.get(e.userSourcedId) ?? [];
    list.push(e);
    enrollmentsOf.set(e.userSourcedId, list);
  }
  /** An enrollment in force on `day` (OneRoster: beginDate inclusive, endDate exclusive). */
  const enrolledOn = (e: (typeof roster.enrollments)[number], day: string): boolean =>
    e.status !== 'inactive' &&
    classes.has(e.classSourcedId) &&
    !(e.beginDate && day < e.beginDate.slice(0, 10)) &&
    !(e.endDate && day >= e.endDate.slice(0, 10));
  /**
   * The person's school on `day`: the one school of their enrollments in force that day; with none,
   * the one school org of their user row; else none. (The generator dates every enrollment, so the
   * class term's dates, which enrich falls back on, never come into it.)
   */
  const schoolOn = (personId: string, day: string): string | null => {
    const enrolled = new Set<string>();
    for (const e of enrollmentsOf.get(personId) ?? []) {
      const school = e.schoolSourcedId || classes.get(e.classSourcedId)?.schoolSourcedId || '';
      if (enrolledOn(e, day) && schoolOrgs.has(school)) enrolled.add(school);
    }
    const orgs = new Set(
      (users.get(personId)?.orgSourcedIds ?? '')
        .split(',')
        .map((o) => o.trim())
        .filter((o) => schoolOrgs.has(o)),
    );
    const candidates = enrolled.size > 0 ? enrolled : orgs;
    return candidates.size === 1 ? [...candidates][0]! : null;
  };
  /** An email, or a username with an @ (a UPN), names whoever has it as email or username; two people: nobody. */
  const byLogin = (value: string): string | null => {
    const k = value.trim().toLowerCase();
    const [e, u] = [byEmail.get(k), byUsername.get(k)];
    if (e === null || u === null || (e !== undefined && u !== undefined && e !== u)) return null;
    return e ?? u ?? null;
  };

  const resolvePerson = (user: TruthEvent['user']): string | null => {
    if (user.sourced_id && users.has(user.sourced_id.trim())) return user.sourced_id.trim();
    if (user.email) {
      const p = byLogin(user.email);
      if (p) return p;
    }
    if (user.username) {
      const name = user.username.trim().toLowerCase();
      const p = name.includes('@') ? byLogin(name) : byUsername.get(name);
      if (p) return p;
    }
    return null;
  };
  const canonicalUnresolved = (user: TruthEvent['user']): string =>
    user.sourced_id?.trim() || user.email?.trim().toLowerCase() || user.username?.trim().toLowerCase() || '';

  for (const ev of sample.events()) {
    if (ev.malformed || ev.duplicate_of !== null) continue;
    const day = ev.local_date;

    // Who.
    const personSourcedId = resolvePerson(ev.user);
    if (personSourcedId !== ev.person_sourced_id) {
      mismatches.push(`seq ${ev.seq}: person resolves to ${personSourcedId}, truth says ${ev.person_sourced_id}`);
    }
    const resolved = personSourcedId !== null;
    const person = resolved
      ? pseudonym(pseudonymKey, districtId, personSourcedId)
      : pseudonym(pseudonymKey, districtId, canonicalUnresolved(ev.user));
    const rosterRole = resolved ? users.get(personSourcedId)!.role.trim().toLowerCase() : 'unknown';
    const role =
      rosterRole === 'student' || rosterRole === 'teacher' || rosterRole === 'unknown' ? rosterRole : 'other';

    // Which app.
    let app: string;
    if (ev.domain !== null) {
      const host = ev.domain
        .toLowerCase()
        .replace(/:\d+$/, '')
        .replace(/^www\./, '');
      app = appOfHost(sample.apps, host) ?? `domain:${host}`;
    } else {
      app = ev.app_id ?? 'unknown';
    }
    const appResolved = !app.startsWith('domain:');
    if ((appResolved ? app : null) !== ev.app_id) {
      mismatches.push(`seq ${ev.seq}: app resolves to ${app}, truth says ${ev.app_id}`);
    }

    // Which class: explicit if the class exists; else the one active enrollment whose course uses the app.
    let classId: string | null = null;
    let attribution: AttributedEvent['attribution'] = 'none';
    if (ev.class_id !== null && classes.has(ev.class_id)) {
      classId = ev.class_id;
      attribution = 'explicit';
    } else if (resolved) {
      const candidates = new Set<string>();
      for (const e of enrollmentsOf.get(personSourcedId) ?? []) {
        const cls = classes.get(e.classSourcedId);
        if (!cls || !enrolledOn(e, day)) continue;
        if (!appsOfCourse.get(cls.courseSourcedId)?.has(app)) continue;
        candidates.add(cls.sourcedId);
      }
      if (candidates.size === 1) {
        classId = [...candidates][0]!;
        attribution = 'inferred';
      }
    }

    // Which school: (events carry no school_id) the class's school, else the person's school that day.
    let schoolId = '';
    if (classId !== null) schoolId = classes.get(classId)!.schoolSourcedId;
    else if (resolved) schoolId = schoolOn(personSourcedId, day) ?? '';

    // Time: login/logout none; a duration counts as itself; other hits count their minute.
    let seconds = 0;
    let minute: string | null = null;
    if (ev.type === 'login' || ev.type === 'logout') {
      // active, no time
    } else if (ev.active_seconds !== null) {
      seconds = Math.min(86_400, Math.max(0, Math.round(ev.active_seconds)));
    } else if (ev.type === 'page_view' || ev.type === 'heartbeat' || ev.type === 'use') {
      minute = String(Math.floor(ev.epoch_ms / 60_000));
    }

    yield {
      ev,
      person,
      personSourcedId,
      role,
      app,
      appResolved,
      classId,
      attribution,
      schoolId,
      day,
      seconds,
      minute,
    };
  }
}

/** `leaveOut`: events the pipeline must no longer count (e.g. of erased people). */
export function buildReference(
  sample: SampleDistrict,
  pseudonymKey: string,
  leaveOut: (a: AttributedEvent) => boolean = () => false,
): Reference {
  const mismatches: string[] = [];
  const district = new Map<string, Accumulator>();
  const school = new Map<string, Accumulator>();
  const klass = new Map<string, Accumulator>();
  const unresolvedPeople = new Map<string, number>();
  const unresolvedApps = new Map<string, number>();
  const malformed = new Map<string, number>();
  const attribution = { explicit: 0, inferred: 0, none: 0 };
  let storedEvents = 0;
  const periodDistrict = new Map<string, PeriodAccumulator>();
  const periodSchool = new Map<string, PeriodAccumulator>();
  const periodClass = new Map<string, PeriodAccumulator>();
  const unresolvedAppPeople = new Map<string, Set<string>>();
  let unattributedSchoolEvents = 0;

  for (const ev of sample.events()) {
    if (!ev.malformed) continue;
    const k = `${ev.format}|${ev.malformed.reason}|${ev.malformed.field ?? ''}`;
    malformed.set(k, (malformed.get(k) ?? 0) + 1);
  }
  for (const a of attributedEvents(sample, pseudonymKey, mismatches)) {
    if (leaveOut(a)) continue;
    const { person, personSourcedId, role, app, appResolved, classId, schoolId, day, seconds, minute } = a;
    const resolved = personSourcedId !== null;
    storedEvents += 1;
    attribution[a.attribution] += 1;
    add(district, `${day}|${app}|${role}`, person, seconds, minute, resolved);
    add(school, `${schoolId}|${day}|${app}|${role}`, person, seconds, minute, resolved);
    if (classId !== null) add(klass, `${schoolId}|${classId}|${day}|${app}|${role}`, person, seconds, minute, resolved);
    if (!resolved) unresolvedPeople.set(person, (unresolvedPeople.get(person) ?? 0) + 1);
    if (!appResolved) unresolvedApps.set(app, (unresolvedApps.get(app) ?? 0) + 1);

    addPeriod(periodDistrict, app, person, day, seconds, minute);
    addPeriod(periodSchool, `${schoolId}|${app}`, person, day, seconds, minute);
    if (classId !== null) addPeriod(periodClass, `${schoolId}|${classId}|${app}`, person, day, seconds, minute);
    if (schoolId === '') unattributedSchoolEvents += 1;
    if (!appResolved) unresolvedAppPeople.set(app, (unresolvedAppPeople.get(app) ?? new Set()).add(person));
  }

  return {
    district: finish(district),
    school: finish(school),
    class: finish(klass),
    storedEvents,
    unresolvedPeople,
    unresolvedApps,
    attribution,
    malformed,
    truthMismatches: mismatches,
    period: {
      district: finishPeriod(periodDistrict),
      school: finishPeriod(periodSchool),
      class: finishPeriod(periodClass),
      unattributedSchoolEvents,
      unresolvedAppUsers: new Map([...unresolvedAppPeople].map(([app, people]) => [app, people.size])),
    },
  };
}

/** Sorted entries, for readable `toEqual` diffs. */
export function sorted<V>(m: Map<string, V>): [string, V][] {
  return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
