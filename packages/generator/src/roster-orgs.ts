import { APP_PROFILES, BAND_NAMES, SCHOOL_NAMES, bandOf, type SchoolBand } from './catalog';
import type { Rng } from './rng';
import { zeroPad, type RosterContext, type SchoolInfo } from './roster-model';
import type { OrgRow } from './types';

/** orgs.csv (the district, then its schools) and the schools as the rest of the model sees them. */
export function buildOrgs(ctx: RosterContext, rng: Rng): { schools: SchoolInfo[]; orgs: OrgRow[] } {
  const orgs: OrgRow[] = [districtOrgRow(ctx, rng)];
  const schools: SchoolInfo[] = [];
  for (let i = 1; i <= ctx.opts.schools; i++) {
    const school = schoolInfo(i);
    schools.push(school);
    orgs.push(schoolOrgRow(ctx, school));
  }
  return { schools, orgs };
}

function districtOrgRow(ctx: RosterContext, rng: Rng): OrgRow {
  return {
    sourcedId: ctx.opts.districtId,
    status: 'active',
    dateLastModified: ctx.modified,
    name: ctx.opts.districtName,
    type: 'district',
    identifier: `LEA-${zeroPad(rng.int(1000, 9999), 4)}`,
    parentSourcedId: '',
  };
}

function schoolInfo(index: number): SchoolInfo {
  const band = bandOf(index);
  return {
    index,
    sourcedId: `sch-${index}`,
    band,
    name: schoolName(index, band),
    apps: APP_PROFILES.filter((p) => p.weight > 0 && p.schools(index, band)),
  };
}

/** Names repeat once SCHOOL_NAMES runs out, so later rounds get a number ("Lincoln 2 Middle School"). */
function schoolName(index: number, band: SchoolBand): string {
  const base = SCHOOL_NAMES[(index - 1) % SCHOOL_NAMES.length] as string;
  const round = Math.floor((index - 1) / SCHOOL_NAMES.length);
  return `${base}${round > 0 ? ` ${round + 1}` : ''} ${BAND_NAMES[band]}`;
}

function schoolOrgRow(ctx: RosterContext, school: SchoolInfo): OrgRow {
  return {
    sourcedId: school.sourcedId,
    status: 'active',
    dateLastModified: ctx.modified,
    name: school.name,
    type: 'school',
    identifier: `SCH-${zeroPad(school.index, 3)}`,
    parentSourcedId: ctx.opts.districtId,
  };
}
