import type { ColumnRules } from './columns';
import type { DateColumns } from './date-order';
import { isRosterDate } from './dates';
import { FieldError, bool, date, email, list, nullable, opt, req, status, type Values } from './fields';
import { rosterGrades } from './grades';
import { findFile, intoMap, readRosterFile, type FileReader, type LoadContext, type RowContext } from './load-file';
import type {
  ClassRecord,
  CourseRecord,
  EnrollmentRecord,
  OrgRecord,
  RosterStatus,
  SessionRecord,
  UserRecord,
} from './model';
import { peekHeader, readCsvRows } from './csv';

export type OneRosterVersion = '1.0' | '1.1' | '1.2';

/** Column names of older versions read as the 1.1/1.2 name (the dataLastModified typo: csv.ts). */
const ALIASES: Record<string, string> = {
  grade: 'grades',
  termsourcedid: 'termSourcedIds',
  userid: 'userIds',
  agents: 'agentSourcedIds',
  schoolyearid: 'schoolYearSourcedId',
};

const COMMON = ['sourcedId', 'status', 'dateLastModified'];

interface FileColumns {
  known: string[];
  required: Record<OneRosterVersion, string[]>;
  needed: Record<string, string>;
  read: string[];
}

const USERS_LOSE_ROLE = 'every user would load without a role';
const USERS_LOSE_SCHOOL = 'every user would load without a school';

/** OneRoster CSV binding: the columns of each file, which are required per version, which edusage needs. */
const FILES: Record<string, FileColumns> = {
  'orgs.csv': {
    known: [...COMMON, 'name', 'type', 'identifier', 'parentSourcedId'],
    required: same(['sourcedId', 'name', 'type']),
    needed: { sourcedId: 'no org can be read', type: 'no org would be known as a school' },
    read: ['sourcedId', 'status', 'dateLastModified', 'name', 'type', 'parentSourcedId'],
  },
  'users.csv': {
    known: [
      ...COMMON,
      'enabledUser',
      'orgSourcedIds',
      'role',
      'username',
      'userIds',
      'givenName',
      'familyName',
      'middleName',
      'identifier',
      'email',
      'sms',
      'phone',
      'agentSourcedIds',
      'grades',
      'password',
      'userMasterIdentifier',
      'resourceSourcedIds',
      'preferredGivenName',
      'preferredMiddleName',
      'preferredFamilyName',
      'primaryOrgSourcedId',
      'pronouns',
    ],
    required: {
      '1.0': ['sourcedId', 'orgSourcedIds', 'role', 'username', 'givenName', 'familyName'],
      '1.1': ['sourcedId', 'enabledUser', 'orgSourcedIds', 'role', 'username', 'givenName', 'familyName'],
      '1.2': ['sourcedId', 'enabledUser', 'username', 'givenName', 'familyName'],
    },
    needed: {
      sourcedId: 'no user can be read',
      username: 'no event naming a username would find its user',
    },
    read: [
      'sourcedId',
      'status',
      'dateLastModified',
      'enabledUser',
      'orgSourcedIds',
      'primaryOrgSourcedId',
      'role',
      'username',
      'email',
      'identifier',
      'grades',
    ],
  },
  'classes.csv': {
    known: [
      ...COMMON,
      'title',
      'grades',
      'courseSourcedId',
      'classCode',
      'classType',
      'location',
      'schoolSourcedId',
      'termSourcedIds',
      'subjects',
      'subjectCodes',
      'periods',
    ],
    required: same(['sourcedId', 'title', 'courseSourcedId', 'classType', 'schoolSourcedId', 'termSourcedIds']),
    needed: {
      sourcedId: 'no class can be read',
      courseSourcedId: 'no class would have a course, so no app use could be attributed to a class by its course',
      schoolSourcedId: 'no class would have a school',
    },
    read: [
      'sourcedId',
      'status',
      'dateLastModified',
      'title',
      'grades',
      'courseSourcedId',
      'classType',
      'schoolSourcedId',
      'termSourcedIds',
    ],
  },
  'courses.csv': {
    known: [
      ...COMMON,
      'schoolYearSourcedId',
      'title',
      'courseCode',
      'grades',
      'orgSourcedId',
      'subjects',
      'subjectCodes',
    ],
    required: same(['sourcedId', 'title', 'orgSourcedId']),
    needed: { sourcedId: 'no course can be read' },
    read: ['sourcedId', 'status', 'dateLastModified', 'title', 'courseCode', 'grades', 'orgSourcedId'],
  },
  'enrollments.csv': {
    known: [...COMMON, 'classSourcedId', 'schoolSourcedId', 'userSourcedId', 'role', 'primary', 'beginDate', 'endDate'],
    required: same(['sourcedId', 'classSourcedId', 'schoolSourcedId', 'userSourcedId', 'role']),
    needed: {
      sourcedId: 'no enrollment can be read',
      classSourcedId: 'no enrollment can be read',
      userSourcedId: 'no enrollment can be read',
      role: 'no class would count its students and teachers',
    },
    read: [
      'sourcedId',
      'status',
      'dateLastModified',
      'classSourcedId',
      'schoolSourcedId',
      'userSourcedId',
      'role',
      'primary',
      'beginDate',
      'endDate',
    ],
  },
  'academicSessions.csv': {
    known: [...COMMON, 'title', 'type', 'startDate', 'endDate', 'parentSourcedId', 'schoolYear'],
    required: {
      '1.0': ['sourcedId', 'title', 'type', 'startDate', 'endDate'],
      '1.1': ['sourcedId', 'title', 'type', 'startDate', 'endDate', 'schoolYear'],
      '1.2': ['sourcedId', 'title', 'type', 'startDate', 'endDate', 'schoolYear'],
    },
    needed: { sourcedId: 'no academic session can be read' },
    read: [
      'sourcedId',
      'status',
      'dateLastModified',
      'title',
      'type',
      'startDate',
      'endDate',
      'parentSourcedId',
      'schoolYear',
    ],
  },
  'roles.csv': {
    known: [
      ...COMMON,
      'userSourcedId',
      'roleType',
      'role',
      'beginDate',
      'endDate',
      'orgSourcedId',
      'userProfileSourcedId',
    ],
    required: same(['sourcedId', 'userSourcedId', 'roleType', 'role', 'orgSourcedId']),
    needed: {
      userSourcedId: USERS_LOSE_ROLE,
      role: USERS_LOSE_ROLE,
      roleType: 'a secondary role could replace a user’s primary role',
      orgSourcedId: USERS_LOSE_SCHOOL,
    },
    read: ['status', 'dateLastModified', 'userSourcedId', 'roleType', 'role', 'orgSourcedId'],
  },
};

function same(columns: string[]): Record<OneRosterVersion, string[]> {
  return { '1.0': columns, '1.1': columns, '1.2': columns };
}

/**
 * The column rules of one file for a version. Before 1.2 the user's role and orgs are columns of
 * users.csv; from 1.2 on they are in roles.csv (or in users.csv when a 1.2 export has no roles.csv).
 */
export function oneRosterColumns(file: string, version: OneRosterVersion, hasRolesFile: boolean): ColumnRules {
  const f = FILES[file];
  if (!f) throw new Error(`no OneRoster column rules for ${file}`);
  const needed = { ...f.needed };
  if (file === 'users.csv' && !hasRolesFile) {
    const why = version === '1.2' ? ' (the folder has no roles.csv)' : '';
    needed['role'] = USERS_LOSE_ROLE + why;
    needed['orgSourcedIds'] = USERS_LOSE_SCHOOL + why;
  }
  return {
    source: `OneRoster ${version}`,
    required: f.required[version],
    needed,
    read: f.read,
    known: f.known,
    aliases: ALIASES,
  };
}

/** dateLastModified is not used (its order does not matter), but a value that is not a date is worth a warning. */
function checkModified(v: Values, warn: (field: string, message: string) => void): void {
  const raw = opt(v, 'datelastmodified');
  if (raw !== '' && !isRosterDate(raw)) warn('dateLastModified', `dateLastModified "${raw}" is not a date (ignored)`);
}

/** What every entity row has. */
type Common = { sourcedId: string; status: RosterStatus };

/** The columns every entity has: status (`tobedeleted` rows are excluded) and sourcedId, then the rest. */
function entityRow<T>(v: Values, row: RowContext, build: (common: Common) => T): T | 'deleted' {
  const st = status(v);
  const sourcedId = req(v, 'sourcedId');
  if (st === 'deleted') return 'deleted';
  const rec = build({ sourcedId, status: st });
  checkModified(v, row.warn);
  return rec;
}

/** The date columns of each file whose dates the load uses (dateLastModified is only checked). */
const DATES: Record<string, DateColumns> = {
  'enrollments.csv': { columns: ['beginDate', 'endDate'] },
  'academicSessions.csv': { columns: ['startDate', 'endDate'] },
};

const duplicateSourcedId = (id: string) => new FieldError('sourcedId', `duplicate sourcedId "${id}" (first row kept)`);

function entityReader<T extends { sourcedId: string }>(
  file: string,
  columns: ColumnRules,
  target: Map<string, T>,
  build: (v: Values, common: Common, row: RowContext) => T,
): FileReader {
  const dates = DATES[file];
  return intoMap({
    file,
    columns,
    ...(dates ? { dates } : {}),
    target,
    parse: (v, row) => entityRow(v, row, (common) => build(v, common, row)),
    key: (rec) => rec.sourcedId,
    duplicate: duplicateSourcedId,
  });
}

const buildOrg = (v: Values, c: Common): OrgRecord => ({
  ...c,
  name: opt(v, 'name'),
  type: opt(v, 'type').toLowerCase(),
  parentSourcedId: nullable(opt(v, 'parentsourcedid')),
});

const buildUser = (v: Values, c: Common, row: RowContext): UserRecord => {
  const orgs = list(opt(v, 'orgsourcedids'));
  const primaryOrg = opt(v, 'primaryorgsourcedid');
  if (primaryOrg !== '' && !orgs.includes(primaryOrg)) orgs.unshift(primaryOrg);
  const enabled = opt(v, 'enableduser');
  return {
    ...c,
    enabled: enabled === '' ? true : bool(enabled),
    role: opt(v, 'role'),
    username: nullable(opt(v, 'username')),
    email: email(v, row.warn),
    identifiers: list(opt(v, 'identifier')),
    orgSourcedIds: orgs,
    grades: rosterGrades(opt(v, 'grades', 'grade')),
  };
};

const buildClass = (v: Values, c: Common): ClassRecord => ({
  ...c,
  title: opt(v, 'title'),
  courseSourcedId: nullable(opt(v, 'coursesourcedid')),
  schoolSourcedId: nullable(opt(v, 'schoolsourcedid')),
  classType: opt(v, 'classtype').toLowerCase(),
  grades: rosterGrades(opt(v, 'grades', 'grade')),
  termSourcedIds: list(opt(v, 'termsourcedids', 'termsourcedid')),
});

const buildCourse = (v: Values, c: Common): CourseRecord => ({
  ...c,
  title: opt(v, 'title'),
  courseCode: opt(v, 'coursecode'),
  orgSourcedId: nullable(opt(v, 'orgsourcedid')),
  grades: rosterGrades(opt(v, 'grades', 'grade')),
});

const buildEnrollment = (v: Values, c: Common, row: RowContext): EnrollmentRecord => {
  const beginDate = date(v, 'beginDate', row.slashOrder);
  const endDate = date(v, 'endDate', row.slashOrder);
  if (beginDate && endDate && endDate < beginDate) {
    throw new FieldError('endDate', `endDate ${endDate} is before beginDate ${beginDate}`);
  }
  return {
    ...c,
    classSourcedId: req(v, 'classSourcedId'),
    schoolSourcedId: nullable(opt(v, 'schoolsourcedid')),
    userSourcedId: req(v, 'userSourcedId'),
    role: opt(v, 'role'),
    primary: bool(opt(v, 'primary')),
    beginDate,
    endDate,
  };
};

const buildSession = (v: Values, c: Common, row: RowContext): SessionRecord => ({
  ...c,
  title: opt(v, 'title'),
  type: opt(v, 'type'),
  startDate: date(v, 'startDate', row.slashOrder),
  endDate: date(v, 'endDate', row.slashOrder),
  parentSourcedId: nullable(opt(v, 'parentsourcedid')),
  schoolYear: nullable(opt(v, 'schoolyear')),
});

/** OneRoster 1.2 keeps roles in roles.csv: the primary role (and the orgs) are applied to the users. */
function rolesReader(ctx: LoadContext, columns: ColumnRules): FileReader {
  const primaryFound = new Set<string>();
  return {
    file: 'roles.csv',
    columns,
    row(v, { warn }) {
      const st = status(v);
      const userId = req(v, 'userSourcedId');
      const role = req(v, 'role');
      if (st === 'deleted') return 'deleted';
      const user = ctx.data.users.get(userId);
      if (!user) {
        warn('userSourcedId', `user "${userId}" is not in users.csv (role ignored)`);
        return 'kept';
      }
      const isPrimary = opt(v, 'roletype').toLowerCase() === 'primary';
      if ((isPrimary && !primaryFound.has(userId)) || user.role === '') {
        user.role = role;
        if (isPrimary) primaryFound.add(userId);
      }
      const org = opt(v, 'orgsourcedid');
      if (org !== '' && !user.orgSourcedIds.includes(org)) user.orgSourcedIds.push(org);
      return 'kept';
    },
  };
}

async function readManifest(ctx: LoadContext): Promise<void> {
  const file = findFile(ctx.dir, ctx.entries, 'manifest.csv');
  if (!file) return;
  const { report } = ctx;
  for await (const row of readCsvRows(file, 'manifest.csv', (i) => report.issues.push({ ...i, severity: 'warning' }))) {
    const prop = opt(row.values, 'propertyname');
    const value = opt(row.values, 'value').toLowerCase();
    if (prop === 'oneroster.version') report.onerosterVersion = opt(row.values, 'value');
    if (prop.startsWith('file.') && value === 'delta') report.deltaFiles.push(prop.slice(5));
  }
}

/**
 * The version to check columns against: the manifest's `oneroster.version`; without one, 1.2 when
 * there is a roles.csv, 1.1 when users.csv has enabledUser (new in 1.1), else 1.0.
 */
function detectVersion(ctx: LoadContext): OneRosterVersion {
  const declared = ctx.report.onerosterVersion?.trim();
  for (const v of ['1.0', '1.1', '1.2'] as const) if (declared?.startsWith(v)) return v;
  if (findFile(ctx.dir, ctx.entries, 'roles.csv')) return '1.2';
  return peekHeader(findFile(ctx.dir, ctx.entries, 'users.csv')).includes('enableduser') ? '1.1' : '1.0';
}

/** Reads a folder of OneRoster 1.0/1.1/1.2 bulk CSV files into `ctx.data`. Every file is optional. */
export async function loadOneRoster(ctx: LoadContext): Promise<void> {
  const { data, report } = ctx;
  await readManifest(ctx);
  const version = detectVersion(ctx);
  report.formatVersion = version;
  const hasRoles = findFile(ctx.dir, ctx.entries, 'roles.csv') !== null;
  const cols = (file: string) => oneRosterColumns(file, version, hasRoles);
  await readRosterFile(ctx, entityReader('orgs.csv', cols('orgs.csv'), data.orgs, buildOrg));
  await readRosterFile(
    ctx,
    entityReader('academicSessions.csv', cols('academicSessions.csv'), data.sessions, buildSession),
  );
  await readRosterFile(ctx, entityReader('courses.csv', cols('courses.csv'), data.courses, buildCourse));
  await readRosterFile(ctx, entityReader('classes.csv', cols('classes.csv'), data.classes, buildClass));
  await readRosterFile(ctx, entityReader('users.csv', cols('users.csv'), data.users, buildUser));
  if (hasRoles) await readRosterFile(ctx, rolesReader(ctx, cols('roles.csv')));
  await readRosterFile(
    ctx,
    entityReader('enrollments.csv', cols('enrollments.csv'), data.enrollments, buildEnrollment),
  );
}
