import { APP_PROFILES, registeredDomain, type AppProfile } from './catalog';
import { buildLicenses } from './licenses';
import { schoolNetworks } from './net';
import { rngFor } from './rng';
import { buildClasses } from './roster-classes';
import type { Model, RosterContext } from './roster-model';
import { buildOrgs } from './roster-orgs';
import { buildPeople } from './roster-people';
import { academicSessionRows, schoolYearOf } from './school-year';
import type { AppDef, ManifestRow, ResolvedOptions } from './types';
import { buildUnknownActors } from './unknown-actors';

export type { ClassInfo, Enrollment, Model, Person, SchoolInfo, UnknownActor } from './roster-model';

export function appDefOf(p: AppProfile): AppDef {
  const domains = [...new Set([...p.domains, registeredDomain(p.host), p.host])];
  return { app_id: p.app_id, name: p.name, vendor: p.vendor, domains, host: p.host, caliper: p.caliper };
}

/**
 * The district before any event: roster, catalog, licences and networks. All its randomness comes
 * from one 'roster' stream, so the builders must keep this order for a seed to keep its output.
 */
export function buildModel(opts: ResolvedOptions): Model {
  const rng = rngFor(opts.seed, 'roster');
  const { startYear, term } = schoolYearOf(opts);
  // Dated at the term start rather than now, so that the same options give the same files.
  const ctx: RosterContext = { opts, term, modified: `${term.startDate}T00:00:00.000Z` };
  const { schools, orgs } = buildOrgs(ctx, rng);
  const { courses, courseApps, classes, classRows } = buildClasses(ctx, schools);
  const { people, users, demographics, enrollments, studentsPerSchool } = buildPeople(ctx, rng, schools, classes);
  const studentCount = people.filter((p) => p.role === 'student').length;
  const unknown = buildUnknownActors(opts, rng, studentCount);
  const { licenses, approvals } = buildLicenses({
    opts,
    districtOrg: opts.districtId,
    schools,
    studentsPerSchool,
    term,
  });
  return {
    opts,
    schools,
    classes,
    people,
    unknown,
    term,
    roster: {
      manifest: manifestRows(),
      orgs,
      academicSessions: academicSessionRows(ctx, startYear),
      courses,
      classes: classRows,
      users,
      enrollments,
      demographics,
    },
    courseApps,
    networks: schoolNetworks(schools),
    apps: APP_PROFILES.map(appDefOf),
    licenses,
    approvals,
  };
}

const MANIFEST: readonly (readonly [string, string])[] = [
  ['manifest.version', '1.0'],
  ['oneroster.version', '1.1'],
  ['file.academicSessions', 'bulk'],
  ['file.categories', 'absent'],
  ['file.classes', 'bulk'],
  ['file.classResources', 'absent'],
  ['file.courses', 'bulk'],
  ['file.courseResources', 'absent'],
  ['file.demographics', 'bulk'],
  ['file.enrollments', 'bulk'],
  ['file.lineItems', 'absent'],
  ['file.orgs', 'bulk'],
  ['file.resources', 'absent'],
  ['file.results', 'absent'],
  ['file.users', 'bulk'],
  ['source.systemName', 'edusage sample generator'],
  ['source.systemCode', 'edusage-generator'],
];

/** manifest.csv: which OneRoster files the bulk export holds (fresh rows for every district). */
function manifestRows(): ManifestRow[] {
  return MANIFEST.map(([propertyName, value]) => ({ propertyName, value }));
}
