import path from 'node:path';
import {
  AppCatalog,
  buildDimensionRows,
  emptyRoster,
  enrichEvent,
  loadRosterDir,
  loadShippedCatalog,
  RosterIndex,
  type DistrictView,
  type RosterData,
} from '../src';
import { documentedPseudonym } from './documented-ids';
import { KEY, POS, raw } from './helpers';

const fixtures = path.resolve(__dirname, '../../../../shared/fixtures');
const LEPO = path.join(fixtures, 'lepo-roster-hub/sample_csv/en');
const SDS_V21 = path.join(__dirname, 'samples/sds-v2.1');

const viewOf = (data: RosterData): DistrictView => ({
  districtId: 'd1',
  timeZone: 'America/Chicago',
  roster: new RosterIndex('d1', 'v1', data, KEY),
  catalog: new AppCatalog(loadShippedCatalog()),
});

/** An event of `user` with `app` at noon (Chicago) of `day`. */
const on = (
  view: DistrictView,
  day: string,
  user: string,
  app = 'ixl',
  extra: Partial<ReturnType<typeof raw>['event']> = {},
) =>
  enrichEvent(
    raw({ user: { sourced_id: user }, app: { app_id: app }, occurred_at: `${day}T17:00:00Z`, ...extra }),
    POS,
    view,
    KEY,
    '',
  );

const classOf = (e: ReturnType<typeof on>) => [e.class_id, e.class_attribution];

/** The lepo sample (enrollment dates all empty) with its course co0001 using IXL. */
async function lepo(): Promise<RosterData> {
  const { data } = await loadRosterDir(LEPO);
  data.courseApps.set('co0001', ['ixl']);
  return data;
}

describe('class inference on the class term dates (lepo sample: enrollments without dates)', () => {
  // cl0001 is in term as0001 (2020-08-01..2021-02-01), cl0004 in as0002 (2021-02-01..2021-08-01), both course co0001.
  it('a fall class is not inferred after its term ended, a spring class not before its term began', async () => {
    const view = viewOf(await lepo());
    expect(classOf(on(view, '2020-10-01', 'us0003'))).toEqual(['cl0001', 'inferred']);
    expect(classOf(on(view, '2021-04-15', 'us0003'))).toEqual([null, 'none']);
    expect(classOf(on(view, '2021-04-15', 'us0010'))).toEqual(['cl0004', 'inferred']);
    expect(classOf(on(view, '2020-10-01', 'us0010'))).toEqual([null, 'none']);
  });

  it('a student in a fall and a spring class of one course gets each in its term, the spring one from its first day', async () => {
    const data = await lepo();
    data.enrollments.set('en-spring', {
      ...data.enrollments.get('en0006')!,
      sourcedId: 'en-spring',
      classSourcedId: 'cl0004',
    });
    const view = viewOf(data);
    expect(classOf(on(view, '2020-10-01', 'us0003'))).toEqual(['cl0001', 'inferred']);
    expect(classOf(on(view, '2021-01-31', 'us0003'))).toEqual(['cl0001', 'inferred']);
    expect(classOf(on(view, '2021-02-01', 'us0003'))).toEqual(['cl0004', 'inferred']); // as0001 ends (exclusive) as as0002 starts
    expect(classOf(on(view, '2021-04-15', 'us0003'))).toEqual(['cl0004', 'inferred']);
  });

  it("an enrollment's own dates win over its class's term", async () => {
    const data = await lepo();
    data.enrollments.set('en0006', { ...data.enrollments.get('en0006')!, endDate: '2020-12-01' }); // left early
    data.enrollments.set('en0020', { ...data.enrollments.get('en0020')!, beginDate: '2020-09-01' }); // started early
    const view = viewOf(data);
    expect(classOf(on(view, '2020-11-30', 'us0003'))).toEqual(['cl0001', 'inferred']);
    expect(classOf(on(view, '2020-12-01', 'us0003'))).toEqual([null, 'none']);
    expect(classOf(on(view, '2020-10-01', 'us0010'))).toEqual(['cl0004', 'inferred']);
    expect(classOf(on(view, '2021-08-01', 'us0010'))).toEqual([null, 'none']); // the term's end stays
  });

  it('dim_classes counts the students and teachers enrolled on the import day or still to begin', async () => {
    const counts = (rows: ReturnType<typeof buildDimensionRows>) =>
      Object.fromEntries(
        (rows.dim_classes as { class_id: string; students: number; teachers: number }[]).map((c) => [
          c.class_id,
          [c.students, c.teachers],
        ]),
      );
    const data = await lepo();
    // Spring: the fall classes' terms are over; as0003 (cl0003) runs all year.
    expect(counts(buildDimensionRows('d1', 'v1', data, KEY, '2021-04-15'))).toEqual({
      cl0001: [0, 0],
      cl0002: [0, 0],
      cl0003: [7, 1],
      cl0004: [5, 1],
      cl0005: [6, 1],
    });
    // Fall: the spring class has not begun yet and already counts (an import before a term's first day
    // must not show its classes empty until the next import).
    expect(counts(buildDimensionRows('d1', 'v1', data, KEY, '2020-10-01'))).toMatchObject({
      cl0001: [3, 1],
      cl0004: [5, 1],
    });
    // Microsoft's SDS v2.1 sample: 112001 meets in FS2021HED (2021-09-01..2021-12-01), 112002 in SY2021K12.
    const sds = (await loadRosterDir(SDS_V21)).data;
    expect(counts(buildDimensionRows('d1', 'v1', sds, KEY, '2021-10-01'))).toEqual({
      '112001': [1, 1],
      '112002': [3, 1],
    });
    // SDS writes a term's last day: 2021-12-01 is still in FS2021HED.
    expect(counts(buildDimensionRows('d1', 'v1', sds, KEY, '2021-12-01'))).toMatchObject({ '112001': [1, 1] });
    expect(counts(buildDimensionRows('d1', 'v1', sds, KEY, '2021-12-15'))).toEqual({
      '112001': [0, 0],
      '112002': [3, 1],
    });
  });
});

describe('enrollment endDate is exclusive (OneRoster 1.1)', () => {
  /** stu moves from class old1 to new1 (same app) on 2024-01-16. */
  function handover(): RosterData {
    const r = emptyRoster();
    r.orgs.set('sch', { sourcedId: 'sch', status: 'active', name: 'S', type: 'school', parentSourcedId: null });
    r.users.set('stu', {
      sourcedId: 'stu',
      status: 'active',
      enabled: true,
      role: 'student',
      username: null,
      email: null,
      orgSourcedIds: ['sch'],
      grades: [],
    });
    for (const id of ['old1', 'new1'])
      r.classes.set(id, {
        sourcedId: id,
        status: 'active',
        title: id,
        courseSourcedId: `crs-${id}`,
        schoolSourcedId: 'sch',
        classType: 'scheduled',
        grades: [],
        termSourcedIds: [],
      });
    const enr = (id: string, cls: string, begin: string | null, end: string | null) =>
      r.enrollments.set(id, {
        sourcedId: id,
        status: 'active',
        classSourcedId: cls,
        schoolSourcedId: 'sch',
        userSourcedId: 'stu',
        role: 'student',
        primary: false,
        beginDate: begin,
        endDate: end,
      });
    enr('e-old', 'old1', '2023-09-01', '2024-01-16');
    enr('e-new', 'new1', '2024-01-16', null);
    r.courseApps.set('crs-old1', ['ixl']);
    r.courseApps.set('crs-new1', ['ixl']);
    return r;
  }

  it('the new class on the day the old one ends; the old one the day before', () => {
    const view = viewOf(handover());
    expect(classOf(on(view, '2024-01-15', 'stu'))).toEqual(['old1', 'inferred']);
    expect(classOf(on(view, '2024-01-16', 'stu'))).toEqual(['new1', 'inferred']);
    expect(classOf(on(view, '2023-09-01', 'stu'))).toEqual(['old1', 'inferred']); // beginDate is inclusive
  });
});

describe('the school of a student who changed schools, per day', () => {
  /** stu (user org schB) was enrolled at schA until 2024-01-16 and is at schB from that day to 2024-06-10. */
  function moved(): RosterData {
    const r = emptyRoster();
    for (const s of ['schA', 'schB'])
      r.orgs.set(s, { sourcedId: s, status: 'active', name: s, type: 'school', parentSourcedId: null });
    const user = (id: string, orgs: string[]) =>
      r.users.set(id, {
        sourcedId: id,
        status: 'active',
        enabled: true,
        role: 'student',
        username: null,
        email: null,
        orgSourcedIds: orgs,
        grades: [],
      });
    user('stu', ['schB']);
    user('two', ['schA', 'schB']);
    for (const [id, school] of [
      ['clsA', 'schA'],
      ['clsB', 'schB'],
    ] as const)
      r.classes.set(id, {
        sourcedId: id,
        status: 'active',
        title: id,
        courseSourcedId: `crs-${id}`,
        schoolSourcedId: school,
        classType: 'scheduled',
        grades: [],
        termSourcedIds: [],
      });
    const enr = (id: string, userId: string, cls: string, school: string, begin: string | null, end: string | null) =>
      r.enrollments.set(id, {
        sourcedId: id,
        status: 'active',
        classSourcedId: cls,
        schoolSourcedId: school,
        userSourcedId: userId,
        role: 'student',
        primary: false,
        beginDate: begin,
        endDate: end,
      });
    enr('e1', 'stu', 'clsA', 'schA', '2023-09-01', '2024-01-16');
    enr('e2', 'stu', 'clsB', 'schB', '2024-01-16', '2024-06-10');
    enr('e3', 'two', 'clsA', 'schA', null, null);
    enr('e4', 'two', 'clsB', 'schB', null, '2024-01-16');
    r.courseApps.set('crs-clsB', ['desmos']);
    return r;
  }

  it('events get the school of the enrollment active that day, else the user org', () => {
    const view = viewOf(moved());
    const school = (day: string, user = 'stu', extra = {}) => on(view, day, user, 'ixl', extra).school_id;
    expect(school('2023-10-01')).toBe('schA');
    expect(school('2024-01-15')).toBe('schA');
    expect(school('2024-01-16')).toBe('schB');
    expect(school('2024-03-01')).toBe('schB');
    expect(school('2024-07-01')).toBe('schB'); // no enrollment active: the user's only school org
    expect(school('2023-10-01', 'two')).toBeNull(); // enrolled at two schools that day
    expect(school('2024-03-01', 'two')).toBe('schA'); // the schB enrollment ended
    // The order stays: the event's own school, then the attributed class's.
    expect(school('2023-10-01', 'stu', { school_id: 'schB' })).toBe('schB');
    expect(on(view, '2024-03-01', 'two', 'desmos', { class_id: 'clsB' }).school_id).toBe('schB');
  });

  it("dim_people's school is the one on the import day; its schools are every school of the roster", () => {
    const people = (day: string, roster = moved()) =>
      Object.fromEntries(
        (
          buildDimensionRows('d1', 'v1', roster, KEY, day).dim_people as {
            person_id: string;
            school_id: string;
            school_ids: string[];
          }[]
        ).map((p) => [p.person_id, [p.school_id, p.school_ids]]),
      );
    const stu = documentedPseudonym(KEY, 'd1', 'stu');
    const two = documentedPseudonym(KEY, 'd1', 'two');
    // school_ids keep the school stu left: a license window before the move counts their use there.
    expect(people('2024-03-01')[stu]).toEqual(['schB', ['schB', 'schA']]);
    expect(people('2023-10-01')[stu]).toEqual(['schA', ['schB', 'schA']]);
    expect(people('2024-07-01')[stu]).toEqual(['schB', ['schB', 'schA']]);
    expect(people('2023-10-01')[two]).toEqual(['', ['schA', 'schB']]);
    expect(people('2024-03-01')[two]).toEqual(['schA', ['schA', 'schB']]);
    // No school org of their own and nothing in force yet (an August import): the school they begin at.
    const roster = moved();
    roster.users.set('new', { ...roster.users.get('stu')!, sourcedId: 'new', orgSourcedIds: [] });
    roster.enrollments.set('e9', {
      ...roster.enrollments.get('e1')!,
      sourcedId: 'e9',
      userSourcedId: 'new',
      beginDate: '2024-09-03',
      endDate: null,
    });
    expect(people('2024-08-01', roster)[documentedPseudonym(KEY, 'd1', 'new')]).toEqual(['schA', ['schA']]);
  });
});
