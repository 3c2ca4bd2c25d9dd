import type { RawMessage } from '@edusage/contracts';
import { AppCatalog, loadShippedCatalog, emptyRoster, RosterIndex, type RosterData, type DistrictView } from '../src';

export const KEY = 'unit-test-pseudonym-key-0123456789';

/** A small district: two schools, three classes, course → app map, one school network. */
export function sampleRoster(): RosterData {
  const r = emptyRoster();
  r.orgs.set('dist', {
    sourcedId: 'dist',
    status: 'active',
    name: 'District',
    type: 'district',
    parentSourcedId: null,
  });
  r.orgs.set('sch1', {
    sourcedId: 'sch1',
    status: 'active',
    name: 'North Elementary',
    type: 'school',
    parentSourcedId: 'dist',
  });
  r.orgs.set('sch2', {
    sourcedId: 'sch2',
    status: 'active',
    name: 'South Middle',
    type: 'school',
    parentSourcedId: 'dist',
  });
  const user = (sourcedId: string, role: string, orgs: string[], email: string | null, username: string | null) =>
    r.users.set(sourcedId, {
      sourcedId,
      status: 'active',
      enabled: true,
      role,
      username,
      email,
      orgSourcedIds: orgs,
      grades: role === 'student' ? ['05'] : [],
    });
  user('stu1', 'student', ['sch1'], 'Amy.Pond@district.org', 'amy.pond');
  user('stu2', 'student', ['sch1', 'sch2'], 'rory@district.org', 'rory');
  user('tch1', 'teacher', ['sch1'], 'river.song@district.org', 'rsong');
  const cls = (sourcedId: string, course: string, school: string) =>
    r.classes.set(sourcedId, {
      sourcedId,
      status: 'active',
      title: sourcedId,
      courseSourcedId: course,
      schoolSourcedId: school,
      classType: 'scheduled',
      grades: [],
      termSourcedIds: [],
    });
  cls('math1', 'crsMath', 'sch1');
  cls('read1', 'crsRead', 'sch1');
  cls('sci2', 'crsSci', 'sch2');
  for (const [id, title] of [
    ['crsMath', 'Math 5'],
    ['crsRead', 'Reading 5'],
    ['crsSci', 'Science 6'],
  ] as const) {
    r.courses.set(id, {
      sourcedId: id,
      status: 'active',
      title,
      courseCode: id,
      orgSourcedId: 'dist',
      grades: [],
    });
  }
  const enr = (
    sourcedId: string,
    classId: string,
    userId: string,
    role: string,
    begin: string | null,
    end: string | null,
    status: '' | 'active' | 'inactive' = 'active',
  ) =>
    r.enrollments.set(sourcedId, {
      sourcedId,
      status,
      classSourcedId: classId,
      schoolSourcedId: r.classes.get(classId)?.schoolSourcedId ?? null,
      userSourcedId: userId,
      role,
      primary: false,
      beginDate: begin,
      endDate: end,
    });
  enr('e1', 'math1', 'stu1', 'student', '2024-08-15', '2025-05-30');
  enr('e2', 'read1', 'stu1', 'student', null, null);
  enr('e3', 'math1', 'stu2', 'student', null, null);
  enr('e4', 'sci2', 'stu2', 'student', null, null);
  enr('e5', 'math1', 'tch1', 'teacher', null, null);
  enr('e6', 'sci2', 'stu1', 'student', null, null, 'inactive');
  r.courseApps.set('crsMath', ['khan-academy', 'desmos']);
  r.courseApps.set('crsRead', ['newsela']);
  r.courseApps.set('crsSci', ['khan-academy']);
  r.networks.set('sch1', ['10.1.0.0/16', '2001:db8:1::/48']);
  return r;
}

export function sampleView(overrides: Partial<DistrictView> = {}): DistrictView {
  return {
    districtId: 'd1',
    timeZone: 'America/Chicago',
    roster: new RosterIndex('d1', 'v1', sampleRoster(), KEY),
    catalog: new AppCatalog(loadShippedCatalog()),
    ...overrides,
  };
}

let n = 0;
export function raw(event: Partial<RawMessage['event']> & Pick<RawMessage['event'], 'user' | 'app'>): RawMessage {
  return {
    v: 1,
    received_at: '2025-01-15T18:00:01Z',
    channel: 'http',
    event: {
      event_id: `ev-${++n}`,
      occurred_at: '2025-01-15T18:00:00Z',
      district_id: 'd1',
      source: 'agent',
      type: 'use',
      ...event,
    },
  };
}

export const POS = { topic: 'usage.raw', partition: 0, offset: '42' };
