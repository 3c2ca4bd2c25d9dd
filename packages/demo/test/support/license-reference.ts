/**
 * The license figures of a generated district, computed independently of packages/licenses: from the
 * generator's license and approval rows, the roster rows and the attributed truth events
 * (reference.ts), with the definitions of docs/ARCHITECTURE.md "Licenses" written out again in plain
 * code. Nothing here calls the licenses package or ClickHouse.
 */
import type { LicenseRow, SampleDistrict } from '@edusage/generator';
import { attributedEvents, type AttributedEvent } from './reference';

export interface LicenseExpectation {
  license_id: string;
  eligible: number;
  students: number;
  active: number;
  engaged_seconds: number;
  total_cost: number;
  seats: number | null;
  utilization: number | null;
  reach: number | null;
  unused_seats: number | null;
  idle_cost: number;
  cost_per_active_user: number | null;
  cost_per_engaged_hour: number | null;
  epi: number | null;
  /** school → { eligible, active } (schools with eligible people or activity in scope). */
  schools: Map<string, { eligible: number; active: number }>;
  /** Monday → distinct active people, term start to window end. */
  weeks: Map<string, number>;
  never_used: boolean;
  /** The flags under the documented default thresholds, sorted. */
  flags: string[];
}

/** docs/ARCHITECTURE.md "Licenses", flag rules with their default thresholds. */
function expectedFlags(e: Omit<LicenseExpectation, 'flags'>, usedShare: number): string[] {
  const flags: string[] = [];
  if (e.total_cost >= 1000 && usedShare < 0.25) flags.push('high_cost_low_use');
  const perUser = e.active > 0 ? e.total_cost / e.active : e.total_cost > 0 ? Infinity : 0;
  if (perUser >= 50 && usedShare < 0.5) flags.push('expensive_underused');
  if (e.seats !== null && e.unused_seats! >= 10 && e.unused_seats! / e.seats >= 0.3) flags.push('too_many_licenses');
  const reaches = [...e.schools.values()].filter((s) => s.eligible >= 5).map((s) => s.active / s.eligible);
  if (reaches.length >= 2 && Math.max(...reaches) - Math.min(...reaches) >= 0.4) flags.push('uneven_across_schools');
  const popular = reaches.filter((r) => r >= 0.3).length;
  if (reaches.length >= 3 && popular >= 1 && popular <= reaches.length / 3) flags.push('popular_at_few_schools');
  return flags.sort();
}

export interface LicenseReferenceResult {
  /** The licenses in force in the window (their term has a day in it): the only ones with figures. */
  licenses: Map<string, LicenseExpectation>;
  /** license → `ended` / `not_started`, for the others. */
  notInForce: Map<string, 'ended' | 'not_started'>;
  /**
   * license → distinct people of its audience and scope active in the window after its term ended,
   * on days no other license of the same app, scope and audience covers; only licenses with such use.
   */
  expiredButUsed: Map<string, number>;
  /** app → distinct people, for apps used in the window with no license whose term overlaps it. */
  unlicensed: Map<string, number>;
  /** app → reason, for apps used in the window not approved, or with a DPA expired by the window end. */
  unapproved: Map<string, string>;
  /** Σ cost ÷ Σ (cost × used share). */
  districtEpi: number | null;
  districtIdle: number;
}

const ROLES: Record<LicenseRow['audience'], string[]> = {
  students: ['student'],
  teachers: ['teacher'],
  all: ['student', 'teacher', 'other'],
};

/** `06-12` → 06..12 (the generator writes numeric bands only). */
function band(text: string): Set<string> | null {
  if (text === '') return null;
  const [from, to] = text.split('-').map(Number) as [number, number];
  const out = new Set<string>();
  for (let g = from; g <= to; g++) out.add(String(g).padStart(2, '0'));
  return out;
}

function monday(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

/** Everything a window's license report must say. */
export function buildLicenseReference(
  sample: SampleDistrict,
  pseudonymKey: string,
  window: { from: string; to: string },
): LicenseReferenceResult {
  const districtId = sample.district.id;
  const roster = sample.roster;
  const schoolOrgs = new Set(roster.orgs.filter((o) => o.type === 'school').map((o) => o.sourcedId));
  const classes = new Map(roster.classes.map((c) => [c.sourcedId, c]));
  // A person's schools (dim_people.school_ids): school orgs of the user row and of their enrollments that
  // are not inactive, ended ones too.
  const schoolsOf = new Map<string, Set<string>>();
  for (const u of roster.users) {
    schoolsOf.set(
      u.sourcedId,
      new Set(
        u.orgSourcedIds
          .split(',')
          .map((s) => s.trim())
          .filter((s) => schoolOrgs.has(s)),
      ),
    );
  }
  for (const e of roster.enrollments) {
    const school = e.schoolSourcedId || classes.get(e.classSourcedId)?.schoolSourcedId || '';
    if (e.status !== 'inactive' && classes.has(e.classSourcedId) && schoolOrgs.has(school))
      schoolsOf.get(e.userSourcedId)?.add(school);
  }
  const people = roster.users
    .filter((u) => u.enabledUser.trim().toLowerCase() === 'true' && u.status !== 'tobedeleted')
    .map((u) => ({
      role: ['student', 'teacher'].includes(u.role.trim().toLowerCase()) ? u.role.trim().toLowerCase() : 'other',
      grade: u.grades.split(',')[0]!.trim(),
      schools: schoolsOf.get(u.sourcedId)!,
    }));
  const events: AttributedEvent[] = [...attributedEvents(sample, pseudonymKey)].filter((a) => a.day <= window.to);
  const inWindow = events.filter((a) => a.day >= window.from);

  const licenses = new Map<string, LicenseExpectation>();
  const notInForce = new Map<string, 'ended' | 'not_started'>();
  const expiredButUsed = new Map<string, number>();
  let sumCost = 0;
  let sumUsed = 0;
  let sumIdle = 0;
  for (const l of sample.licenses) {
    const school = l.orgSourcedId === districtId ? '' : l.orgSourcedId;
    const roles = ROLES[l.audience];
    const grades = band(l.grades);
    const inScope = (p: (typeof people)[number]) =>
      (school === '' || p.schools.has(school)) && (grades === null || grades.has(p.grade));
    const eligiblePeople = people.filter((p) => inScope(p) && roles.includes(p.role));
    const students = people.filter((p) => inScope(p) && p.role === 'student').length;
    const licensed = (a: AttributedEvent) =>
      a.app === l.appId && roles.includes(a.role) && (school === '' || a.schoolId === school);
    const inTerm = (a: AttributedEvent) => a.day >= l.contractStartDate && a.day <= l.contractEndDate;
    // Use after the term, on a day no other license of this app, scope and audience covers.
    const coveredByAnother = (day: string) =>
      sample.licenses.some(
        (o) =>
          o.licenseId !== l.licenseId &&
          o.appId === l.appId &&
          o.orgSourcedId === l.orgSourcedId &&
          o.audience === l.audience &&
          day >= o.contractStartDate &&
          day <= o.contractEndDate,
      );
    const after = new Set(
      inWindow.filter((a) => licensed(a) && a.day > l.contractEndDate && !coveredByAnother(a.day)).map((a) => a.person),
    ).size;
    if (after > 0) expiredButUsed.set(l.licenseId, after);
    if (l.contractEndDate < window.from || l.contractStartDate > window.to) {
      notInForce.set(l.licenseId, l.contractEndDate < window.from ? 'ended' : 'not_started');
      continue;
    }
    const used = inWindow.filter((a) => licensed(a) && inTerm(a));
    const active = new Set(used.map((a) => a.person)).size;
    const minutes = new Set(used.filter((a) => a.minute !== null).map((a) => `${a.person}|${a.minute}`));
    const engaged = used.reduce((s, a) => s + a.seconds, 0) + 60 * minutes.size;

    const schools = new Map<string, { eligible: number; active: number }>();
    for (const p of eligiblePeople) {
      for (const s of p.schools) {
        if (school !== '' && s !== school) continue;
        const row = schools.get(s) ?? { eligible: 0, active: 0 };
        row.eligible += 1;
        schools.set(s, row);
      }
    }
    for (const s of new Set(used.map((a) => a.schoolId).filter((s) => s !== ''))) {
      const row = schools.get(s) ?? { eligible: 0, active: 0 };
      row.active = new Set(used.filter((a) => a.schoolId === s).map((a) => a.person)).size;
      schools.set(s, row);
    }
    const weeks = new Map<string, Set<string>>();
    const toDate = events.filter((a) => licensed(a) && inTerm(a));
    for (const a of toDate) weeks.set(monday(a.day), (weeks.get(monday(a.day)) ?? new Set()).add(a.person));

    const unlimited = l.seatsPurchased === 'unlimited';
    const seats = unlimited ? null : (l.seatsPurchased as number);
    const cost =
      l.costBasis === 'per_seat'
        ? l.contractCost * seats!
        : l.costBasis === 'per_student'
          ? l.contractCost * students
          : l.contractCost;
    const utilization = seats === null ? null : active / seats;
    const reach = eligiblePeople.length > 0 ? active / eligiblePeople.length : null;
    const usedShare = Math.min(1, (unlimited ? reach : utilization) ?? 0);
    sumCost += cost;
    sumUsed += cost * usedShare;
    sumIdle += cost * (1 - usedShare);
    const expectation = {
      license_id: l.licenseId,
      eligible: eligiblePeople.length,
      students,
      active,
      engaged_seconds: engaged,
      total_cost: cost,
      seats,
      utilization,
      reach,
      unused_seats: seats === null ? null : Math.max(0, seats - active),
      idle_cost: cost * (1 - usedShare),
      cost_per_active_user: active > 0 ? cost / active : null,
      cost_per_engaged_hour: engaged > 0 ? cost / (engaged / 3600) : null,
      epi: usedShare > 0 ? 1 / usedShare : null,
      schools,
      weeks: new Map([...weeks].map(([w, s]) => [w, s.size])),
      never_used: toDate.length === 0,
    };
    licenses.set(l.licenseId, { ...expectation, flags: expectedFlags(expectation, usedShare) });
  }

  const usedApps = new Map<string, Set<string>>();
  for (const a of inWindow) usedApps.set(a.app, (usedApps.get(a.app) ?? new Set()).add(a.person));
  const covered = new Set(
    sample.licenses
      .filter((l) => l.contractStartDate <= window.to && l.contractEndDate >= window.from)
      .map((l) => l.appId),
  );
  const approvals = new Map(sample.approvals.map((a) => [a.appId, a]));
  const unapproved = new Map<string, string>();
  for (const app of usedApps.keys()) {
    const a = approvals.get(app);
    if (!a || a.status !== 'approved') unapproved.set(app, a?.status ?? 'not_reviewed');
    else if (a.dpaExpiresOn !== '' && a.dpaExpiresOn < window.to) unapproved.set(app, 'dpa_expired');
  }
  return {
    licenses,
    notInForce,
    expiredButUsed,
    unlicensed: new Map([...usedApps].filter(([app]) => !covered.has(app)).map(([app, p]) => [app, p.size])),
    unapproved,
    districtEpi: sumUsed > 0 ? sumCost / sumUsed : null,
    districtIdle: sumIdle,
  };
}
