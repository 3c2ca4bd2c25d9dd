/**
 * Microsoft School Data Sync (SDS) CSV, format v2 and v2.1: orgs, users, roles (v2.1), classes,
 * courses, enrollments, academicSessions. Columns as published by Microsoft (SDS v2.1 CSV file
 * format page and the sample files of OfficeDev/O365-EDU-Tools "CSV Samples/SDS v2.1" and "SDS v2").
 * SDS rows have no status and enrollments no sourcedId: an enrollment is keyed by class and user.
 */
import type { ColumnRules } from './columns';
import type { DateColumns } from './date-order';
import { dayAfter } from './dates';
import { FieldError, bool, date, email, list, nullable, opt, req, type Values } from './fields';
import { rosterGrades } from './grades';
import { findFile, intoMap, readRosterFile, type FileReader, type LoadContext, type RowContext } from './load-file';
import type { ClassRecord, CourseRecord, EnrollmentRecord, OrgRecord, SessionRecord, UserRecord } from './model';

export type SdsVersion = 'v2' | 'v2.1';

const LOSE_ROLE = 'every user would load without a role';
const LOSE_SCHOOL = 'every user would load without a school';

function rules(
  version: SdsVersion,
  spec: { required: string[]; needed: Record<string, string>; read: string[]; known: string[] },
): ColumnRules {
  return { source: `SDS ${version}`, ...spec };
}

/** The column rules of one SDS file. In v2 the user's role and orgs are users.csv columns, in v2.1 roles.csv rows. */
export function sdsColumns(file: string, version: SdsVersion): ColumnRules {
  switch (file) {
    case 'orgs.csv':
      return rules(version, {
        required: ['sourcedId', 'name', 'type'],
        needed: { sourcedId: 'no org can be read', type: 'no org would be known as a school' },
        read: ['sourcedId', 'name', 'type', 'parentSourcedId'],
        known: ['sourcedId', 'name', 'type', 'parentSourcedId'],
      });
    case 'users.csv':
      return version === 'v2'
        ? rules(version, {
            required: ['sourcedId', 'orgSourcedIds', 'username', 'role'],
            needed: {
              sourcedId: 'no user can be read',
              username: 'no event naming a username would find its user',
              role: `${LOSE_ROLE} (v2 has no roles.csv)`,
              orgSourcedIds: `${LOSE_SCHOOL} (v2 has no roles.csv)`,
            },
            read: ['sourcedId', 'orgSourcedIds', 'username', 'role', 'grade'],
            known: ['sourcedId', 'orgSourcedIds', 'givenName', 'familyName', 'username', 'password', 'role', 'grade'],
          })
        : rules(version, {
            required: ['sourcedId', 'username'],
            needed: {
              sourcedId: 'no user can be read',
              username: 'no event naming a username would find its user',
            },
            read: ['sourcedId', 'username', 'email'],
            known: [
              'sourcedId',
              'username',
              'givenName',
              'familyName',
              'password',
              'activeDirectoryMatchId',
              'email',
              'phone',
              'sms',
            ],
          });
    case 'roles.csv':
      return rules(version, {
        required: ['userSourcedId', 'orgSourcedId', 'role'],
        needed: { userSourcedId: LOSE_ROLE, orgSourcedId: LOSE_SCHOOL, role: LOSE_ROLE },
        read: ['userSourcedId', 'orgSourcedId', 'role', 'grade', 'isPrimary'],
        known: [
          'userSourcedId',
          'orgSourcedId',
          'role',
          'sessionSourcedId',
          'sessionSourcedIds',
          'grade',
          'isPrimary',
          'roleStartDate',
          'roleEndDate',
        ],
      });
    case 'classes.csv':
      return rules(version, {
        required: ['sourcedId', 'orgSourcedId', 'title'],
        needed: { sourcedId: 'no class can be read', orgSourcedId: 'no class would have a school' },
        read: ['sourcedId', 'orgSourcedId', 'title', 'sessionSourcedIds', 'courseSourcedId'],
        known: ['sourcedId', 'orgSourcedId', 'title', 'sessionSourcedIds', 'courseSourcedId', 'code'],
      });
    case 'courses.csv':
      return rules(version, {
        required: ['sourcedId', 'title'],
        needed: { sourcedId: 'no course can be read' },
        read: ['sourcedId', 'orgSourcedId', 'title', 'code', 'grade'],
        known: ['sourcedId', 'orgSourcedId', 'title', 'code', 'schoolYearSourcedId', 'subject', 'grade'],
      });
    case 'enrollments.csv':
      return rules(version, {
        required: ['classSourcedId', 'userSourcedId', 'role'],
        needed: {
          classSourcedId: 'no class membership can be read',
          userSourcedId: 'no class membership can be read',
          role: 'no class would count its students and teachers',
        },
        read: ['classSourcedId', 'userSourcedId', 'role'],
        known: ['classSourcedId', 'userSourcedId', 'role'],
      });
    case 'academicSessions.csv':
      return rules(version, {
        required: ['sourcedId', 'title', 'type', 'schoolYear', 'startDate', 'endDate'],
        needed: { sourcedId: 'no academic session can be read' },
        read: ['sourcedId', 'title', 'type', 'schoolYear', 'startDate', 'endDate'],
        known: ['sourcedId', 'title', 'type', 'schoolYear', 'startDate', 'endDate'],
      });
    default:
      throw new Error(`no SDS column rules for ${file}`);
  }
}

const duplicateSourcedId = (id: string) => new FieldError('sourcedId', `duplicate sourcedId "${id}" (first row kept)`);

/** SDS slash dates are month first (7/1/2017), unless a file shows otherwise (date-order.ts). */
const SESSION_DATES: DateColumns = { columns: ['startDate', 'endDate'], formatOrder: 'mdy' };

function byId<T extends { sourcedId: string }>(
  file: string,
  version: SdsVersion,
  target: Map<string, T>,
  build: (v: Values, sourcedId: string, row: RowContext) => T,
): FileReader {
  return intoMap({
    file,
    columns: sdsColumns(file, version),
    ...(file === 'academicSessions.csv' ? { dates: SESSION_DATES } : {}),
    target,
    parse: (v, row) => build(v, req(v, 'sourcedId'), row),
    key: (rec) => rec.sourcedId,
    duplicate: duplicateSourcedId,
  });
}

const buildOrg = (v: Values, sourcedId: string): OrgRecord => ({
  sourcedId,
  status: '',
  name: opt(v, 'name'),
  type: opt(v, 'type').toLowerCase(),
  parentSourcedId: nullable(opt(v, 'parentSourcedId')),
});

const buildUser = (v: Values, sourcedId: string, row: RowContext): UserRecord => ({
  sourcedId,
  status: '',
  enabled: true,
  // v2 only; in v2.1 roles.csv sets role and orgs.
  role: opt(v, 'role'),
  username: nullable(opt(v, 'username')),
  email: email(v, row.warn),
  orgSourcedIds: list(opt(v, 'orgSourcedIds')),
  grades: rosterGrades(opt(v, 'grade')),
});

const buildSession = (v: Values, sourcedId: string, row: RowContext): SessionRecord => ({
  sourcedId,
  status: '',
  title: opt(v, 'title'),
  type: opt(v, 'type'),
  startDate: date(v, 'startDate', row.slashOrder),
  // SDS writes the term's last day; the model's end is the day after it (exclusive, as OneRoster's).
  endDate: dayAfter(date(v, 'endDate', row.slashOrder)),
  parentSourcedId: null,
  schoolYear: nullable(opt(v, 'schoolYear')),
});

const buildCourse = (v: Values, sourcedId: string): CourseRecord => ({
  sourcedId,
  status: '',
  title: opt(v, 'title'),
  courseCode: opt(v, 'code'),
  orgSourcedId: nullable(opt(v, 'orgSourcedId')),
  grades: rosterGrades(opt(v, 'grade')),
});

const buildClass = (v: Values, sourcedId: string): ClassRecord => ({
  sourcedId,
  status: '',
  title: opt(v, 'title'),
  courseSourcedId: nullable(opt(v, 'courseSourcedId')),
  schoolSourcedId: nullable(opt(v, 'orgSourcedId')),
  classType: '',
  grades: [],
  termSourcedIds: list(opt(v, 'sessionSourcedIds')),
});

/** roles.csv (v2.1): the primary role wins (else the first); every org and grade is added to the user. */
function rolesReader(ctx: LoadContext, version: SdsVersion): FileReader {
  const primaryFound = new Set<string>();
  return {
    file: 'roles.csv',
    columns: sdsColumns('roles.csv', version),
    row(v, { warn }) {
      const userId = req(v, 'userSourcedId');
      const org = req(v, 'orgSourcedId');
      const role = req(v, 'role');
      const user = ctx.data.users.get(userId);
      if (!user) {
        warn('userSourcedId', `user "${userId}" is not in users.csv (role ignored)`);
        return 'kept';
      }
      const isPrimary = bool(opt(v, 'isPrimary'));
      if ((isPrimary && !primaryFound.has(userId)) || user.role === '') {
        user.role = role;
        if (isPrimary) primaryFound.add(userId);
      }
      if (!user.orgSourcedIds.includes(org)) user.orgSourcedIds.push(org);
      for (const g of rosterGrades(opt(v, 'grade'))) if (!user.grades.includes(g)) user.grades.push(g);
      return 'kept';
    },
  };
}

/** A class membership keyed by class and user (SDS enrollments have no id); the school is the class's. */
export function membershipReader(
  ctx: LoadContext,
  file: string,
  columns: ColumnRules,
  read: (v: Values) => { classSourcedId: string; userSourcedId: string; role: string },
): FileReader {
  return intoMap<EnrollmentRecord>({
    file,
    columns,
    target: ctx.data.enrollments,
    parse(v) {
      const m = read(v);
      return {
        sourcedId: `${m.classSourcedId}/${m.userSourcedId}`,
        status: '',
        ...m,
        schoolSourcedId: ctx.data.classes.get(m.classSourcedId)?.schoolSourcedId ?? null,
        primary: false,
        beginDate: null,
        endDate: null,
      };
    },
    key: (rec) => rec.sourcedId,
    duplicate: (key) => new FieldError('userSourcedId', `class/user "${key}" is listed twice (first row kept)`),
  });
}

/** Reads an SDS v2 or v2.1 folder (v2.1 when it has roles.csv) into `ctx.data`. */
export async function loadSds(ctx: LoadContext): Promise<void> {
  const { data, report } = ctx;
  const version: SdsVersion = findFile(ctx.dir, ctx.entries, 'roles.csv') ? 'v2.1' : 'v2';
  report.formatVersion = version;
  await readRosterFile(ctx, byId('orgs.csv', version, data.orgs, buildOrg));
  await readRosterFile(ctx, byId('academicSessions.csv', version, data.sessions, buildSession));
  await readRosterFile(ctx, byId('courses.csv', version, data.courses, buildCourse));
  await readRosterFile(ctx, byId('classes.csv', version, data.classes, buildClass));
  await readRosterFile(ctx, byId('users.csv', version, data.users, buildUser));
  if (version === 'v2.1') await readRosterFile(ctx, rolesReader(ctx, version));
  await readRosterFile(
    ctx,
    membershipReader(ctx, 'enrollments.csv', sdsColumns('enrollments.csv', version), (v) => ({
      classSourcedId: req(v, 'classSourcedId'),
      userSourcedId: req(v, 'userSourcedId'),
      role: req(v, 'role'),
    })),
  );
}
