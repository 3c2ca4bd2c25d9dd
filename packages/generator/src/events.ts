import type { EventType, Source } from '@edusage/contracts';
import {
  caliperEnvelope,
  caliperEventJson,
  caliperGroup,
  malformCaliperEvent,
  type CaliperAction,
  type CaliperSessionRefs,
} from './caliper-format';
import { APP_PROFILES, UNRESOLVED_SITES, registeredDomain, type AppProfile } from './catalog';
import { FUTURE_SHIFT_MS, truncatedLine } from './malformation';
import { nativeBody, renderNativeLine, type NativeAppRef } from './native-format';
import type { ClassInfo, Model, Person, UnknownActor } from './roster';
import { deterministicUuid, hash32, rngFor, type Rng } from './rng';
import { addDays, formatOffset, isoWithOffset, localToEpochMs, offsetMinutesAt, parseDate, weekday } from './time';
import {
  EVENT_FILES,
  type DayInfo,
  type EventFormat,
  type Malformation,
  type MalformedReason,
  type SampleRecord,
  type SkipReason,
  type TruthEvent,
} from './types';

const REASONS: Record<EventFormat, MalformedReason[]> = {
  native: ['not_json', 'wrong_type', 'missing_user', 'negative_duration', 'future_timestamp'],
  caliper: ['not_json', 'missing_actor', 'wrong_type', 'negative_duration', 'future_timestamp'],
  squid: ['garbage_line', 'missing_user', 'future_timestamp'],
};

const GARBAGE_LINES = [
  'Unmatched! The rat the cat the dog chased killed ate the malt!',
  '2026/09/14 13:05:00 kid1| WARNING: Forwarding loop detected for:',
  'squid restarted ################',
  '1757000000.123 GET',
  '\u0000\u0000\u0000 binary junk \u00ff\u00fe',
];

export function dayInfos(model: Model): DayInfo[] {
  const out: DayInfo[] = [];
  for (let i = 0; i < model.opts.days; i++) {
    const date = addDays(model.opts.startDate, i);
    const wd = weekday(date);
    const noon = localToEpochMs(model.opts.timezone, date, 12 * 3600);
    out.push({ date, schoolDay: wd >= 1 && wd <= 5, utcOffsetMinutes: offsetMinutesAt(model.opts.timezone, noon) });
  }
  return out;
}

/** What a generated proxy line means (docs/MEANING.md "Proxy logs"): a page visit, or activity that folds. */
type ProxyKind = 'page' | 'activity';

interface Draft {
  emitMs: number;
  order: number;
  format: EventFormat;
  text: string;
  events: TruthEvent[];
  dupOf: Draft | null;
  /** Squid lines only. */
  proxy?: ProxyKind;
  /** A valid line that carries no event (squid: proxy_failed). */
  skip?: SkipReason;
}

interface GenState {
  roundRobin: Record<EventFormat, number>;
}

interface Where {
  campus: boolean;
  school: number | null;
  ip: string;
}

type AppChoice =
  { profile: AppProfile; site?: undefined } | { profile?: undefined; site: (typeof UNRESOLVED_SITES)[number] };

interface Actor {
  person: Person | null;
  unknown: UnknownActor | null;
}

/** One Caliper session under way: who, which app, and what its events share. */
interface CaliperSession {
  actor: Actor;
  app: AppChoice;
  profile: AppProfile;
  userRef: TruthEvent['user'];
  minutes: number;
  group: ClassInfo | null;
  refs: CaliperSessionRefs;
}

/** A Caliper event as it goes into an envelope, with its truth. */
interface CaliperItem {
  json: Record<string, unknown>;
  truth: TruthEvent;
}

/** The native type each Caliper event stands for (TruthEvent.type). */
const CALIPER_TYPES: Record<CaliperAction['kind'], EventType> = { login: 'login', nav: 'page_view', tool: 'use' };

/** Generates one local day: every line of every file for that day, sorted by the time it is sent. */
class DayGenerator {
  readonly drafts: Draft[] = [];
  private idCounter = 0;
  private readonly tz: string;
  private readonly stableOffset: boolean;
  private readonly midnightWallMs: number;
  private readonly uuidNs: number;
  private readonly offsetText: string;

  constructor(
    private readonly model: Model,
    private readonly dayIndex: number,
    private readonly day: DayInfo,
    private readonly state: GenState,
  ) {
    this.tz = model.opts.timezone;
    const [y, m, d] = parseDate(day.date);
    this.midnightWallMs = Date.UTC(y, m - 1, d);
    // Events fall between 06:00 and 23:00 local; if the offset is the same at both ends (always, for
    // zones that change at night) one offset serves the whole day.
    const a = offsetMinutesAt(this.tz, localToEpochMs(this.tz, day.date, 6 * 3600));
    const b = offsetMinutesAt(this.tz, localToEpochMs(this.tz, day.date, 23 * 3600));
    this.stableOffset = a === b && a === day.utcOffsetMinutes;
    this.uuidNs = hash32(model.opts.seed, model.opts.districtId, 'event-ids');
    this.offsetText = formatOffset(day.utcOffsetMinutes);
  }

  run(): void {
    const { model, dayIndex } = this;
    const seed = model.opts.seed;
    for (const p of model.people) this.personDay(p, rngFor(seed, 'person-day', dayIndex, p.idx));
    for (const u of model.unknown) this.unknownDay(u, rngFor(seed, 'unknown-day', dayIndex, u.idx));
    this.drafts.sort((x, y) => x.emitMs - y.emitMs || x.order - y.order);
  }

  // ------------------------------------------------------------------ time
  private epochOf(secondsOfDay: number): number {
    if (this.stableOffset) return this.midnightWallMs + secondsOfDay * 1000 - this.day.utcOffsetMinutes * 60000;
    return localToEpochMs(this.tz, this.day.date, secondsOfDay);
  }
  private offsetAt(epochMs: number): number {
    return this.stableOffset ? this.day.utcOffsetMinutes : offsetMinutesAt(this.tz, epochMs);
  }
  private lastIsoMs = NaN;
  private lastIso = '';
  /** ISO 8601 with the district's offset (milliseconds only when not zero). */
  private iso(epochMs: number): string {
    if (epochMs === this.lastIsoMs) return this.lastIso;
    let text: string;
    if (this.stableOffset) {
      const local = epochMs + this.day.utcOffsetMinutes * 60000 - this.midnightWallMs;
      if (local >= 0 && local < 86_400_000) {
        const ms = local % 1000;
        const secs = (local - ms) / 1000;
        text =
          `${this.day.date}T${two(Math.floor(secs / 3600))}:${two(Math.floor(secs / 60) % 60)}:${two(secs % 60)}` +
          `${ms === 0 ? '' : `.${String(ms).padStart(3, '0')}`}${this.offsetText}`;
      } else {
        text = isoWithOffset(epochMs, this.offsetAt(epochMs));
      }
    } else {
      text = isoWithOffset(epochMs, this.offsetAt(epochMs));
    }
    this.lastIsoMs = epochMs;
    this.lastIso = text;
    return text;
  }
  private nextUuid(): string {
    return deterministicUuid(this.uuidNs, this.idCounter++, this.dayIndex);
  }

  // ------------------------------------------------------------------ people
  private activeClasses(p: Person, school: number | null): ClassInfo[] {
    const out: ClassInfo[] = [];
    for (const e of p.enrollments) {
      if (e.begin > this.day.date || e.end < this.day.date) continue;
      const cls = this.model.classes[e.classIdx]!;
      if (school === null || cls.school === school) out.push(cls);
    }
    return out;
  }

  private personDay(p: Person, rng: Rng): void {
    const base = this.model.opts.eventsPerStudentDay * (p.role === 'teacher' ? 0.4 : 1) * p.engagement;
    if (!(base > 0)) return;
    let target: number;
    if (this.day.schoolDay) {
      if (rng.chance(0.06)) return; // absent
      target = Math.round(base * (0.5 + rng.next()));
    } else {
      if (!rng.chance(0.2)) return;
      target = Math.round(base * 0.75 * (0.5 + rng.next()));
    }
    let emitted = 0;
    for (let guard = 0; emitted < target && guard < 1000; guard++) {
      const evening = !this.day.schoolDay || rng.chance(p.role === 'teacher' ? 0.12 : 0.15);
      emitted += this.personSession(p, evening, target - emitted, rng);
    }
  }

  private personSession(p: Person, evening: boolean, remaining: number, rng: Rng): number {
    let where: Where;
    let context: ClassInfo | null = null;
    let app: AppChoice;
    if (!evening) {
      const other = p.schools.length > 1 && rng.chance(0.2) ? p.schools[1]! : p.home;
      let classes = this.activeClasses(p, other);
      let school = other;
      if (classes.length === 0) {
        school = p.home;
        classes = this.activeClasses(p, p.home);
      }
      where = { campus: true, school, ip: campusIp(school, rng) };
      context = classes.length > 0 ? rng.pick(classes) : null;
      const courseApps = context ? this.profilesOf(context.apps) : [];
      if (context && courseApps.length > 0 && rng.chance(0.65)) {
        app = { profile: courseApps[rng.weightedIndex(courseApps.map((a) => weightFor(a, p, false)))]! };
      } else {
        app = this.generalApp(school, p.role, false, rng);
      }
    } else {
      where = { campus: false, school: null, ip: p.homeIp };
      app = this.generalApp(p.home, p.role, true, rng);
      if (app.profile) {
        const id = app.profile.app_id;
        const using = this.activeClasses(p, null).filter((c) => c.apps.includes(id));
        context = using.length > 0 ? rng.pick(using) : null;
      }
    }
    let explicitP = context ? (app.profile?.app_id === 'google-classroom' ? 0.6 : 0.12) : 0;
    if (evening) explicitP /= 2;
    const actor: Actor = { person: p, unknown: null };

    let channel: 'caliper' | 'squid' | 'agent' | 'extension';
    if (app.profile?.caliper && rng.chance(0.35)) channel = 'caliper';
    else if (where.campus && rng.chance(0.45)) channel = 'squid';
    else channel = rng.chance(0.45) ? 'agent' : 'extension';
    // Session length, capped so that the session's expected number of events stays near what is left
    // of the person's day (keeps the mean close to eventsPerStudentDay).
    const cap =
      channel === 'agent'
        ? remaining * 5
        : channel === 'extension'
          ? remaining * 2.4
          : channel === 'squid'
            ? remaining * 3
            : 40;
    const minutes = Math.max(3, Math.min(rng.int(3, 40), Math.round(cap)));
    const start = this.sessionStart(evening ? (this.day.schoolDay ? 'evening' : 'weekend') : 'school', minutes, rng);
    return this.emitSession(channel, actor, where, app, context, explicitP, start, minutes, rng);
  }

  private unknownDay(u: UnknownActor, rng: Rng): void {
    const mean = this.model.opts.eventsPerStudentDay * 0.5;
    if (!(mean > 0)) return;
    const school = u.channel === 'squid' || u.channel === 'agent';
    if (!this.day.schoolDay && school) return;
    if (!this.day.schoolDay && !rng.chance(0.3)) return;
    const target = Math.round(mean * (0.5 + rng.next()));
    let emitted = 0;
    for (let guard = 0; emitted < target && guard < 1000; guard++) {
      const where: Where = school
        ? { campus: true, school: u.school, ip: campusIp(u.school, rng) }
        : { campus: false, school: null, ip: u.homeIp };
      let app: AppChoice;
      if (u.channel === 'caliper') {
        const caliperApps = APP_PROFILES.filter((a) => a.caliper && a.weight > 0);
        app = { profile: caliperApps[rng.weightedIndex(caliperApps.map((a) => a.weight))]! };
      } else {
        app = this.generalApp(u.school, 'student', !school, rng);
      }
      const minutes = rng.int(3, 30);
      const start = this.sessionStart(school ? 'school' : this.day.schoolDay ? 'evening' : 'weekend', minutes, rng);
      emitted += this.emitSession(u.channel, { person: null, unknown: u }, where, app, null, 0, start, minutes, rng);
    }
  }

  private profilesOf(ids: string[]): AppProfile[] {
    return APP_PROFILES.filter((a) => ids.includes(a.app_id) && a.weight > 0);
  }

  /** App chosen from everything used at the school (catalog apps and unresolved sites). */
  private generalApp(school: number, role: 'student' | 'teacher', evening: boolean, rng: Rng): AppChoice {
    const apps = this.model.schools[school - 1]!.apps;
    const weights: number[] = apps.map((a) => (role === 'teacher' ? a.teacherWeight : evening ? a.evening : a.weight));
    for (const s of UNRESOLVED_SITES) weights.push((evening ? s.evening : s.weight) * (role === 'teacher' ? 0.1 : 1));
    const i = rng.weightedIndex(weights);
    return i < apps.length ? { profile: apps[i]! } : { site: UNRESOLVED_SITES[i - apps.length]! };
  }

  private sessionStart(kind: 'school' | 'evening' | 'weekend', minutes: number, rng: Rng): number {
    const [from, to] =
      kind === 'school'
        ? [7 * 3600 + 50 * 60, 15 * 3600 + 10 * 60]
        : kind === 'evening'
          ? [16 * 3600, 22 * 3600]
          : [10 * 3600, 21 * 3600];
    return rng.int(from, to - minutes * 60);
  }

  // ------------------------------------------------------------------ emission
  private malformation(
    format: EventFormat,
    rng: Rng,
    applicable: (r: MalformedReason) => boolean,
  ): MalformedReason | null {
    if (!rng.chance(this.model.opts.malformedRate)) return null;
    const reasons = REASONS[format];
    for (let tries = 0; tries < reasons.length; tries++) {
      const r = reasons[this.state.roundRobin[format]++ % reasons.length]!;
      if (applicable(r)) return r;
    }
    return null;
  }

  private push(
    format: EventFormat,
    emitMs: number,
    text: string,
    events: TruthEvent[],
    rng: Rng,
    canDuplicate: boolean,
    proxy?: ProxyKind,
  ): void {
    const draft: Draft = {
      emitMs,
      order: this.drafts.length,
      format,
      text,
      events,
      dupOf: null,
      ...(proxy ? { proxy } : {}),
    };
    this.drafts.push(draft);
    if (canDuplicate && events.every((e) => e.malformed === null) && rng.chance(this.model.opts.duplicateRate)) {
      this.drafts.push({
        emitMs: emitMs + rng.int(20, 600) * 1000,
        order: this.drafts.length,
        format,
        text,
        events: events.map((e) => ({ ...e })),
        dupOf: draft,
      });
    }
  }

  /** A valid line that carries no event, for the reason given. */
  private pushSkipped(format: EventFormat, emitMs: number, text: string, skip: SkipReason): void {
    this.drafts.push({ emitMs, order: this.drafts.length, format, text, events: [], dupOf: null, skip });
  }

  private truth(
    format: EventFormat,
    source: Source,
    type: EventType,
    epochMs: number,
    actor: Actor,
    user: TruthEvent['user'],
    app: AppChoice,
    domain: string | null,
    where: Where | null,
    activeSeconds: number | null,
    classId: string | null,
    eventId: string | null,
    malformed: Malformation | null,
  ): TruthEvent {
    const p = actor.person;
    return {
      seq: -1,
      format,
      file: EVENT_FILES[format],
      line: -1,
      index: 0,
      event_id: eventId,
      malformed,
      duplicate_of: null,
      occurred_at: this.iso(epochMs),
      epoch_ms: epochMs,
      local_date: this.day.date,
      type,
      source,
      user,
      person_sourced_id: p ? p.sourcedId : null,
      role: p ? p.role : null,
      app_id: app.profile ? app.profile.app_id : null,
      domain,
      active_seconds: activeSeconds,
      class_id: classId,
      client_ip: where ? where.ip : null,
      campus: where ? (where.campus ? 'on' : 'off') : 'unknown',
      network_school_id: where && where.campus && where.school !== null ? `sch-${where.school}` : null,
    };
  }

  private emitSession(
    channel: 'caliper' | 'squid' | 'agent' | 'extension',
    actor: Actor,
    where: Where,
    app: AppChoice,
    context: ClassInfo | null,
    explicitP: number,
    start: number,
    minutes: number,
    rng: Rng,
  ): number {
    switch (channel) {
      case 'agent':
        return this.emitAgent(actor, where, app, context, explicitP, start, minutes, rng);
      case 'extension':
        return this.emitExtension(actor, where, app, context, explicitP, start, minutes, rng);
      case 'squid':
        return this.emitSquid(actor, where, app, start, minutes, rng);
      case 'caliper':
        return this.emitCaliper(actor, app, context, explicitP * 3.5, start, minutes, rng);
    }
  }

  private hostOf(app: AppChoice): string {
    return app.profile ? app.profile.host : app.site!.host;
  }
  private urlOf(app: AppChoice, rng: Rng): string {
    const paths = app.profile ? app.profile.paths : app.site!.paths;
    return `https://${this.hostOf(app)}${rng.pick(paths)}`;
  }

  private nativeUser(actor: Actor, style: 'agent' | 'extension', rng: Rng): TruthEvent['user'] {
    if (actor.unknown) return { ...actor.unknown.user };
    const p = actor.person!;
    if (style === 'extension') return { email: p.email };
    return rng.chance(0.8) ? { sourced_id: p.sourcedId } : { username: p.username };
  }

  private emitNative(
    source: 'agent' | 'extension',
    type: EventType,
    second: number,
    actor: Actor,
    user: TruthEvent['user'],
    appRef: NativeAppRef,
    app: AppChoice,
    where: Where,
    activeSeconds: number | null,
    classId: string | null,
    rng: Rng,
  ): void {
    const epochMs = this.epochOf(second);
    const eventId = this.nextUuid();
    const reason = this.malformation('native', rng, () => true);
    const body = nativeBody({
      eventId,
      occurredAt: this.iso(epochMs),
      districtId: this.model.opts.districtId,
      source,
      type,
      user,
      app: appRef,
      activeSeconds,
      classId,
      clientIp: where.ip,
    });
    const { text, malformed } = renderNativeLine(body, reason, activeSeconds, rng, () =>
      isoWithOffset(epochMs + FUTURE_SHIFT_MS, this.offsetAt(epochMs)),
    );
    const domain = appRef.domain ?? (appRef.url ? new URL(appRef.url).hostname : null);
    const ev = this.truth(
      'native',
      source,
      type,
      epochMs,
      actor,
      user,
      app,
      domain,
      where,
      activeSeconds,
      classId,
      eventId,
      malformed,
    );
    this.push('native', epochMs, text, [ev], rng, true);
  }

  private emitAgent(
    actor: Actor,
    where: Where,
    app: AppChoice,
    context: ClassInfo | null,
    explicitP: number,
    start: number,
    minutes: number,
    rng: Rng,
  ): number {
    const user = this.nativeUser(actor, 'agent', rng);
    const host = this.hostOf(app);
    const r = rng.next();
    const appRef =
      app.profile && r < 0.15
        ? { app_id: app.profile.app_id }
        : r < 0.3
          ? { domain: registeredDomain(host) }
          : { domain: host };
    const classId = context && rng.chance(explicitP) ? context.sourcedId : null;
    let n = 0;
    if (rng.chance(app.profile?.app_id === 'clever' ? 0.6 : 0.12)) {
      this.emitNative('agent', 'login', start, actor, user, appRef, app, where, null, classId, rng);
      n++;
    }
    const chunks = Math.ceil(minutes / 5);
    for (let k = 0; k < chunks; k++) {
      const second = start + k * 300 + rng.int(0, 30);
      const last = k === chunks - 1;
      const seconds = rng.chance(0.1) ? null : last ? rng.int(20, 300) : rng.int(150, 300);
      this.emitNative('agent', 'use', second, actor, user, appRef, app, where, seconds, classId, rng);
      n++;
    }
    return n;
  }

  private emitExtension(
    actor: Actor,
    where: Where,
    app: AppChoice,
    context: ClassInfo | null,
    explicitP: number,
    start: number,
    minutes: number,
    rng: Rng,
  ): number {
    const user = this.nativeUser(actor, 'extension', rng);
    const classId = context && rng.chance(explicitP) ? context.sourcedId : null;
    const withDomain = rng.chance(0.15);
    const hits: Array<[number, EventType]> = [];
    const views = 1 + Math.floor(minutes / 6);
    for (let i = 0; i < views; i++) hits.push([start + (i === 0 ? 0 : rng.int(0, minutes * 60 - 1)), 'page_view']);
    const beats = Math.floor(minutes / 4);
    for (let i = 0; i < beats; i++) hits.push([start + rng.int(30, minutes * 60 - 1), 'heartbeat']);
    hits.sort((a, b) => a[0] - b[0]);
    for (const [second, type] of hits) {
      const url = this.urlOf(app, rng);
      const appRef = withDomain ? { domain: new URL(url).hostname, url } : { url };
      this.emitNative('extension', type, second, actor, user, appRef, app, where, null, classId, rng);
    }
    return hits.length;
  }

  private emitSquid(actor: Actor, where: Where, app: AppChoice, start: number, minutes: number, rng: Rng): number {
    const username = actor.person ? actor.person.username : (actor.unknown!.user.username ?? 'guest');
    const host = this.hostOf(app);
    const server = serverIp(host);
    const hits = 1 + Math.floor(minutes / 3) + rng.int(0, 2);
    const seconds: number[] = [];
    for (let i = 0; i < hits; i++) seconds.push(i === 0 ? start : start + rng.int(0, minutes * 60 - 1));
    seconds.sort((a, b) => a - b);
    for (const second of seconds) {
      const epochMs = this.epochOf(second) + rng.int(0, 999);
      const reason = this.malformation('squid', rng, () => true);
      const r = rng.next();
      let rest: string;
      if (r < 0.6) rest = `TCP_TUNNEL/200 ${rng.int(800, 250_000)} CONNECT ${host}:443`;
      else if (r < 0.9) rest = `TCP_MISS/200 ${rng.int(900, 90_000)} GET ${this.urlOf(app, rng)}`;
      else rest = `TCP_REFRESH_UNMODIFIED/304 ${rng.int(200, 600)} GET ${this.urlOf(app, rng)}`;
      const type = rest.includes('CONNECT') ? '-' : 'text/html';
      let ms = epochMs;
      let user = username;
      let malformed: Malformation | null = null;
      if (reason === 'future_timestamp') {
        ms = epochMs + FUTURE_SHIFT_MS;
        malformed = { reason, field: 'time' };
      } else if (reason === 'missing_user') {
        user = '-';
        malformed = { reason, field: 'rfc931' };
      } else if (reason === 'garbage_line') {
        malformed = { reason, field: null };
      }
      const text =
        reason === 'garbage_line'
          ? rng.pick(GARBAGE_LINES)
          : `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')} ${String(rng.int(5, 4000)).padStart(6)} ${where.ip} ${rest} ${user} HIER_DIRECT/${server} ${type}`;
      // A tunnel is activity (a heartbeat that folds per person × host × minute); the GETs are pages.
      const proxy: ProxyKind = rest.includes('CONNECT') ? 'activity' : 'page';
      const ev = this.truth(
        'squid',
        'proxy',
        proxy === 'page' ? 'page_view' : 'heartbeat',
        epochMs,
        actor,
        { username },
        app,
        host,
        where,
        null,
        null,
        null,
        malformed,
      );
      this.push('squid', epochMs, text, [ev], rng, false, proxy);
      if (proxy === 'page' && malformed === null) this.emitPageExtras(ev, actor, app, where, username, server);
    }
    return hits;
  }

  /**
   * What a browser fetches around a page, as a proxy logs it: a few sub-resources of the page's host
   * in the same minute (they fold into the page: no events), sometimes a failed favicon or a failed
   * tunnel (skipped as proxy_failed). A separate rng per page keeps the rest of the sample unchanged.
   */
  private emitPageExtras(
    page: TruthEvent,
    actor: Actor,
    app: AppChoice,
    where: Where,
    username: string,
    server: string,
  ): void {
    const rng = rngFor(this.model.opts.seed, 'squid-extras', page.epoch_ms, username);
    const host = page.domain!;
    const room = 59_999 - (page.epoch_ms % 60_000); // stay in the page's minute
    const line = (ms: number, rest: string, type: string) =>
      `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')} ${String(rng.int(1, 400)).padStart(6)} ${where.ip} ${rest} ${username} HIER_DIRECT/${server} ${type}`;
    const assets: Array<[string, string]> = [
      ['/static/app.css', 'text/css'],
      ['/static/app.js', 'application/javascript'],
      ['/img/logo.png', 'image/png'],
      ['/api/progress', 'application/json'],
    ];
    const n = room < 1000 ? 0 : rng.int(0, 3);
    for (let i = 0; i < n; i++) {
      const ms = page.epoch_ms + rng.int(1, room);
      const [path, type] = rng.pick(assets);
      const ev = this.truth(
        'squid',
        'proxy',
        'heartbeat',
        ms,
        actor,
        { username },
        app,
        host,
        where,
        null,
        null,
        null,
        null,
      );
      this.push(
        'squid',
        ms,
        line(ms, `TCP_MISS/200 ${rng.int(300, 60_000)} GET https://${host}${path}`, type),
        [ev],
        rng,
        false,
        'activity',
      );
    }
    if (room >= 1000 && rng.chance(0.15)) {
      const ms = page.epoch_ms + rng.int(1, room);
      const rest = rng.chance(0.5)
        ? `TCP_MISS/404 512 GET https://${host}/favicon.ico`
        : `TCP_MISS/503 0 CONNECT ${host}:443`;
      this.pushSkipped('squid', ms, line(ms, rest, rest.includes('CONNECT') ? '-' : 'text/html'), 'proxy_failed');
    }
  }

  /**
   * One Caliper session: an optional login, up to two page views and a closing ToolUse with the
   * minutes on task, all sent in one envelope after the session ends.
   */
  private emitCaliper(
    actor: Actor,
    app: AppChoice,
    context: ClassInfo | null,
    explicitP: number,
    start: number,
    minutes: number,
    rng: Rng,
  ): number {
    const session = this.caliperSession(actor, app, context, explicitP, start, minutes, rng);
    const events: CaliperItem[] = [];
    if (rng.chance(0.5)) events.push(this.caliperEvent(session, 'login', start, rng));
    for (const second of this.caliperNavSeconds(start, minutes, rng)) {
      events.push(this.caliperEvent(session, 'nav', second, rng));
    }
    const endSecond = start + minutes * 60;
    events.push(this.caliperEvent(session, 'tool', endSecond, rng));
    this.sendCaliperEnvelope(session, events, endSecond, rng);
    return events.length;
  }

  /** What every event of a Caliper session shares; draws whether the session names its class. */
  private caliperSession(
    actor: Actor,
    app: AppChoice,
    context: ClassInfo | null,
    explicitP: number,
    start: number,
    minutes: number,
    rng: Rng,
  ): CaliperSession {
    const profile = app.profile!;
    const domain = this.model.opts.domain;
    const base = `https://${profile.host}/`;
    const sourcedId = actor.person ? actor.person.sourcedId : (actor.unknown!.user.sourced_id ?? actor.unknown!.key);
    const actorId = `https://${domain}/users/${sourcedId}`;
    const sessionId = this.caliperSessionId(base);
    const startMs = this.epochOf(start);
    const group = context && rng.chance(Math.min(1, explicitP)) ? context : null;
    return {
      actor,
      app,
      profile,
      userRef: { sourced_id: sourcedId },
      minutes,
      group,
      refs: {
        base,
        actorId,
        sessionId,
        startedAtTime: new Date(startMs).toISOString(),
        group: group ? caliperGroup(domain, group) : null,
      },
    };
  }

  /** Derived from the id counter without advancing it, so the event ids that follow do not move. */
  private caliperSessionId(base: string): string {
    const high = (hash32(this.uuidNs, this.dayIndex, this.idCounter) >>> 0).toString(16).padStart(8, '0');
    const low = (hash32(this.idCounter, 'session') >>> 0).toString(16).padStart(8, '0');
    return `${base}sessions/${high}${low}`;
  }

  /** Seconds of the session's page views (0 to 2, away from its edges), in time order. */
  private caliperNavSeconds(start: number, minutes: number, rng: Rng): number[] {
    const navs = rng.int(0, 2);
    const seconds: number[] = [];
    for (let i = 0; i < navs; i++) seconds.push(start + rng.int(10, minutes * 60 - 10));
    return seconds.sort((a, b) => a - b);
  }

  /** One event of the session, as JSON for the envelope and as truth. */
  private caliperEvent(session: CaliperSession, kind: CaliperAction['kind'], second: number, rng: Rng): CaliperItem {
    const epochMs = this.epochOf(second);
    const id = `urn:uuid:${this.nextUuid()}`;
    // Only a ToolUse carries a duration that can be negative.
    const reason = this.malformation('caliper', rng, (r) => r !== 'negative_duration' || kind === 'tool');
    const eventTime = new Date(epochMs).toISOString();
    const action = this.caliperAction(kind, session, rng);
    const json = caliperEventJson(action, session.refs, id, eventTime);
    const seconds = action.kind === 'tool' ? action.minutesOnTask * 60 : null;
    const malformed = malformCaliperEvent(json, reason, epochMs, seconds);
    const truth = this.truth(
      'caliper',
      'caliper',
      CALIPER_TYPES[kind],
      epochMs,
      session.actor,
      session.userRef,
      session.app,
      action.kind === 'nav' ? new URL(action.url).hostname : session.profile.host,
      null,
      seconds,
      session.group && kind !== 'login' ? session.group.sourcedId : null,
      id,
      malformed,
    );
    return { json, truth };
  }

  /** Draws what the event records: the page visited, or the minutes on task and the measure ids. */
  private caliperAction(kind: CaliperAction['kind'], session: CaliperSession, rng: Rng): CaliperAction {
    switch (kind) {
      case 'login':
        return { kind };
      case 'nav':
        return { kind, url: this.urlOf(session.app, rng) };
      case 'tool':
        return {
          kind,
          minutesOnTask: session.minutes - (rng.chance(0.5) ? 0.5 : 0),
          collectionId: `urn:uuid:${this.nextUuid()}`,
          measureId: `urn:uuid:${this.nextUuid()}`,
        };
    }
  }

  /**
   * Sends the session's events in one envelope shortly after it ends. Each `not_json` event goes
   * alone in an envelope cut short, so the rest of the session stays readable.
   */
  private sendCaliperEnvelope(session: CaliperSession, events: CaliperItem[], endSecond: number, rng: Rng): void {
    const sensor = `${session.refs.base}sensors/1`;
    const sendMs = this.epochOf(endSecond) + rng.int(1, 30) * 1000;
    const envelope = (items: CaliperItem[]): string =>
      caliperEnvelope(
        sensor,
        sendMs,
        items.map((e) => e.json),
      );
    const isCut = (e: CaliperItem): boolean => e.truth.malformed?.reason === 'not_json';
    const good = events.filter((e) => !isCut(e));
    if (good.length > 0) {
      this.push(
        'caliper',
        sendMs,
        envelope(good),
        good.map((e) => e.truth),
        rng,
        true,
      );
    }
    for (const bad of events.filter(isCut)) {
      this.push('caliper', sendMs, truncatedLine(envelope([bad]), rng), [bad.truth], rng, false);
    }
  }
}

const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

function campusIp(school: number, rng: Rng): string {
  return rng.chance(0.1)
    ? `192.168.${school}.${rng.int(2, 254)}`
    : `10.${school}.${rng.int(1, 254)}.${rng.int(1, 254)}`;
}

function serverIp(host: string): string {
  const h = hash32(host, 'server');
  return `${[104, 142, 151, 172, 13, 34, 52][h % 7]}.${(h >>> 8) & 255}.${(h >>> 16) & 255}.${((h >>> 24) % 253) + 1}`;
}

/**
 * The proxy folding rule of docs/MEANING.md "Proxy logs", applied to the truth in file order: a page line
 * counts and claims its person × host × UTC minute; an activity line counts only when its minute is
 * not yet claimed, else it carries no event (skip `proxy_folded`). Malformed lines claim nothing
 * (they are rejected). The generated log is in time order, so no claim ever ages out of the
 * adapter's window.
 */
class ProxyTruthFolder {
  private readonly claimed = new Set<string>();

  /** The skip reason when the draft's line folds (its event is then dropped from the truth). */
  apply(draft: Draft): 'proxy_folded' | null {
    const ev = draft.events[0];
    if (!draft.proxy || !ev || ev.malformed) return null;
    const host = (ev.domain ?? '').replace(/^www\./, '');
    const key = `username:${ev.user.username}|${host}|${Math.floor(ev.epoch_ms / 60_000)}`;
    if (draft.proxy === 'activity' && this.claimed.has(key)) return 'proxy_folded';
    this.claimed.add(key);
    return null;
  }
}

/** Every line of the district's event files, in write order (lazily, a day at a time). */
export function* generateRecords(model: Model, days: DayInfo[]): IterableIterator<SampleRecord> {
  const state: GenState = { roundRobin: { native: 0, caliper: 0, squid: 0 } };
  const lines: Record<EventFormat, number> = { native: 0, caliper: 0, squid: 0 };
  const folder = new ProxyTruthFolder();
  let seq = 0;
  for (let d = 0; d < days.length; d++) {
    const gen = new DayGenerator(model, d, days[d]!, state);
    gen.run();
    for (const draft of gen.drafts) {
      const line = ++lines[draft.format];
      const skip = draft.skip ?? folder.apply(draft);
      if (skip) {
        yield { format: draft.format, file: EVENT_FILES[draft.format], line, text: draft.text, events: [], skip };
        continue;
      }
      for (let i = 0; i < draft.events.length; i++) {
        const ev = draft.events[i]!;
        ev.seq = seq++;
        ev.line = line;
        ev.index = i;
        if (draft.dupOf) ev.duplicate_of = draft.dupOf.events[i]!.seq;
      }
      yield { format: draft.format, file: EVENT_FILES[draft.format], line, text: draft.text, events: draft.events };
    }
  }
}

function weightFor(a: AppProfile, p: Person, evening: boolean): number {
  return p.role === 'teacher' ? a.teacherWeight : evening ? a.evening : a.weight;
}
