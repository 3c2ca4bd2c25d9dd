/**
 * Microsoft School Data Sync v1 CSV ("SDS format"): School.csv, Section.csv, Student.csv,
 * Teacher.csv, StudentEnrollment.csv, TeacherRoster.csv. Columns as in Microsoft's samples
 * (OfficeDev/O365-EDU-Tools "CSV Samples/SDS Format", whose "Min Required Attributes" set gives the
 * required ones). A section is a class; its course and term, when given, become a course and an
 * academic session. Student/Teacher rows give the role; enrollments are keyed by section and user.
 */
import type { ColumnRules } from './columns';
import { dayAfter } from './dates';
import { FieldError, date, nullable, opt, req, type Values } from './fields';
import { rosterGrades } from './grades';
import { intoMap, readRosterFile, type FileReader, type LoadContext } from './load-file';
import { membershipReader } from './sds';
import type { ClassRecord, OrgRecord, UserRecord } from './model';

const SOURCE = 'SDS v1';

const SCHOOL: ColumnRules = {
  source: SOURCE,
  required: ['SIS ID', 'Name'],
  needed: { 'SIS ID': 'no school can be read' },
  read: ['SIS ID', 'Name'],
  known: [
    'SIS ID',
    'Name',
    'School Number',
    'School NCES_ID',
    'State ID',
    'Grade Low',
    'Grade High',
    'Principal SIS ID',
    'Principal Name',
    'Principal Secondary Email',
    'Address',
    'City',
    'State',
    'Country',
    'Zip',
    'Phone',
    'Zone',
  ],
};

const SECTION: ColumnRules = {
  source: SOURCE,
  required: ['SIS ID', 'School SIS ID', 'Section Name'],
  needed: { 'SIS ID': 'no section can be read', 'School SIS ID': 'no section would have a school' },
  read: [
    'SIS ID',
    'School SIS ID',
    'Section Name',
    'Term SIS ID',
    'Term Name',
    'Term StartDate',
    'Term EndDate',
    'Course SIS ID',
    'Course Name',
    'Course Number',
  ],
  known: [
    'SIS ID',
    'School SIS ID',
    'Section Name',
    'Section Number',
    'Term SIS ID',
    'Term Name',
    'Term StartDate',
    'Term EndDate',
    'Course SIS ID',
    'Course Name',
    'Course Number',
    'Course Description',
    'Course Subject',
    'Periods',
    'Status',
  ],
};

function personColumns(extra: string[]): ColumnRules {
  return {
    source: SOURCE,
    required: ['SIS ID', 'School SIS ID', 'Username'],
    needed: {
      'SIS ID': 'no person can be read',
      'School SIS ID': 'nobody would have a school',
      Username: 'no event naming a username would find its user',
    },
    read: ['SIS ID', 'School SIS ID', 'Username', 'Grade', 'State ID', ...extra.filter((c) => c.endsWith(' Number'))],
    known: [
      'SIS ID',
      'School SIS ID',
      'First Name',
      'Last Name',
      'Middle Name',
      'Username',
      'Password',
      'State ID',
      'Secondary Email',
      'Status',
      ...extra,
    ],
  };
}

const STUDENT = personColumns(['Student Number', 'Grade', 'Birthdate', 'Graduation Year']);
const TEACHER = personColumns(['Teacher Number', 'Title', 'Qualification']);

const ROSTER: ColumnRules = {
  source: SOURCE,
  required: ['Section SIS ID', 'SIS ID'],
  needed: { 'Section SIS ID': 'no class membership can be read', 'SIS ID': 'no class membership can be read' },
  read: ['Section SIS ID', 'SIS ID'],
  known: ['Section SIS ID', 'SIS ID'],
};

const sisId = (v: Values) => req(v, 'SIS ID');
const duplicateSisId = (id: string) => new FieldError('SIS ID', `duplicate SIS ID "${id}" (first row kept)`);

function schoolReader(ctx: LoadContext): FileReader {
  return intoMap<OrgRecord>({
    file: 'School.csv',
    columns: SCHOOL,
    target: ctx.data.orgs,
    parse: (v) => ({ sourcedId: sisId(v), status: '', name: opt(v, 'Name'), type: 'school', parentSourcedId: null }),
    key: (rec) => rec.sourcedId,
    duplicate: duplicateSisId,
  });
}

/** Section.csv: the class, plus its course and term when the row names them (first row of each kept). */
function sectionReader(ctx: LoadContext): FileReader {
  const { data } = ctx;
  return intoMap<ClassRecord>({
    file: 'Section.csv',
    columns: SECTION,
    target: data.classes,
    // SDS dates are month first (7/1/2017) unless the file shows otherwise.
    dates: { columns: ['Term StartDate', 'Term EndDate'], formatOrder: 'mdy' },
    parse(v, row) {
      // A repeated section must not add its course or term either.
      const id = sisId(v);
      if (data.classes.has(id)) throw duplicateSisId(id);
      const school = req(v, 'School SIS ID');
      const course = opt(v, 'Course SIS ID');
      const term = opt(v, 'Term SIS ID');
      const startDate = date(v, 'Term StartDate', row.slashOrder);
      // SDS writes the term's last day; the model's end is the day after it (exclusive, as OneRoster's).
      const endDate = dayAfter(date(v, 'Term EndDate', row.slashOrder));
      if (course !== '' && !data.courses.has(course)) {
        data.courses.set(course, {
          sourcedId: course,
          status: '',
          title: opt(v, 'Course Name'),
          courseCode: opt(v, 'Course Number'),
          orgSourcedId: school,
          grades: [],
        });
      }
      if (term !== '' && !data.sessions.has(term)) {
        data.sessions.set(term, {
          sourcedId: term,
          status: '',
          title: opt(v, 'Term Name'),
          type: 'term',
          startDate,
          endDate,
          parentSourcedId: null,
          schoolYear: null,
        });
      }
      return {
        sourcedId: id,
        status: '',
        title: opt(v, 'Section Name'),
        courseSourcedId: nullable(course),
        schoolSourcedId: school,
        classType: '',
        grades: [],
        termSourcedIds: term === '' ? [] : [term],
      };
    },
    key: (rec) => rec.sourcedId,
    duplicate: duplicateSisId,
  });
}

/** Student.csv / Teacher.csv: the file gives the role. Students and teachers share one id space here. */
function personReader(ctx: LoadContext, file: string, columns: ColumnRules, role: string): FileReader {
  return intoMap<UserRecord>({
    file,
    columns,
    target: ctx.data.users,
    parse: (v) => ({
      sourcedId: sisId(v),
      status: '',
      enabled: true,
      role,
      username: nullable(opt(v, 'Username')),
      email: null,
      identifiers: [opt(v, 'State ID'), opt(v, 'Student Number'), opt(v, 'Teacher Number')].filter((id) => id !== ''),
      orgSourcedIds: [req(v, 'School SIS ID')],
      grades: rosterGrades(opt(v, 'Grade')),
    }),
    key: (rec) => rec.sourcedId,
    duplicate: (id) =>
      new FieldError(
        'SIS ID',
        `SIS ID "${id}" is already a ${ctx.data.users.get(id)?.role ?? 'user'} (first row kept)`,
      ),
  });
}

/** Reads an SDS v1 folder into `ctx.data`. */
export async function loadSdsV1(ctx: LoadContext): Promise<void> {
  ctx.report.formatVersion = 'v1';
  await readRosterFile(ctx, schoolReader(ctx));
  await readRosterFile(ctx, sectionReader(ctx));
  await readRosterFile(ctx, personReader(ctx, 'Student.csv', STUDENT, 'student'));
  await readRosterFile(ctx, personReader(ctx, 'Teacher.csv', TEACHER, 'teacher'));
  const member = (role: string) => (v: Values) => ({
    classSourcedId: req(v, 'Section SIS ID'),
    userSourcedId: sisId(v),
    role,
  });
  await readRosterFile(ctx, membershipReader(ctx, 'StudentEnrollment.csv', ROSTER, member('student')));
  await readRosterFile(ctx, membershipReader(ctx, 'TeacherRoster.csv', ROSTER, member('teacher')));
}
