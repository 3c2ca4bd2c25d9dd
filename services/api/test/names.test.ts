/**
 * Names of the district's ids (`/v1/names`, and the dashboard showing them): school names and class
 * titles of the current roster in ClickHouse, app names of the shipped catalog and of the district's
 * own catalog in Redis. On the real ClickHouse and Redis, through the API service.
 */
import { Redis } from 'ioredis';
import { insertRows } from '@edusage/clickhouse';
import { saveDistrictCatalog } from '@edusage/enrich';
import { PERIOD, startHarness, type Harness } from './harness';

jest.setTimeout(120_000);

let h: Harness;

beforeAll(async () => {
  h = await startHarness('api_names');
  const school = (school_id: string, name: string, roster_version = 'r1') => ({
    district_id: 'dA',
    roster_version,
    school_id,
    name,
    org_type: 'school',
    parent_id: 'dA',
    status: 'active',
  });
  // r1 is the current roster of dA (the harness' dim_roster_versions); r0 is an older one.
  await insertRows(h.ch, 'dim_schools', [
    school('sA1', 'Lincoln Elementary'),
    school('sA2', 'Jefferson Middle'),
    school('sA1', 'An old name', 'r0'),
  ]);
  const klass = (class_id: string, title: string, school_id: string) => ({
    district_id: 'dA',
    roster_version: 'r1',
    class_id,
    title,
    class_type: 'scheduled',
    course_id: '',
    course_title: '',
    course_code: '',
    school_id,
    grades: ['05'],
    term_ids: [],
    app_ids: [],
    students: 3,
    teachers: 1,
    status: 'active',
  });
  await insertRows(h.ch, 'dim_classes', [klass('cA1', 'Grade 5 Math', 'sA1'), klass('cA2', 'Grade 6 Reading', 'sA2')]);
  const redis = new Redis(h.env.config.REDIS_URL);
  try {
    await saveDistrictCatalog(redis, h.env.config.REDIS_KEY_PREFIX, 'dA', [
      { app_id: 'appa1', name: 'Reading Quest', domains: ['readingquest.example'], category: 'reading' },
      // The district renames a shipped app.
      { app_id: 'google-docs', name: 'Docs (district)', domains: ['docs.google.com'], category: 'productivity' },
    ]);
  } finally {
    redis.disconnect();
  }
});

afterAll(async () => {
  await h?.close();
});

interface NameRow {
  kind: string;
  id: string;
  name: string;
  school_id: string;
}

const names = async (token: string) => {
  const r = await h.get('/v1/names', token);
  expect(r.status).toBe(200);
  return (r.json as { rows: NameRow[] }).rows;
};

test('an admin gets the current roster’s schools and classes and the catalog’s apps, the district’s own first', async () => {
  const rows = await names(h.tokens.admin);
  expect(rows.filter((r) => r.kind !== 'app')).toEqual([
    { kind: 'school', id: 'sA1', name: 'Lincoln Elementary', school_id: '' },
    { kind: 'school', id: 'sA2', name: 'Jefferson Middle', school_id: '' },
    { kind: 'class', id: 'cA1', name: 'Grade 5 Math', school_id: 'sA1' },
    { kind: 'class', id: 'cA2', name: 'Grade 6 Reading', school_id: 'sA2' },
  ]);
  const app = (id: string) => rows.find((r) => r.kind === 'app' && r.id === id)?.name;
  expect(app('appa1')).toBe('Reading Quest');
  expect(app('google-docs')).toBe('Docs (district)');
  expect(app('khan-academy')).toBe('Khan Academy'); // shipped catalog
  expect(app('appa2')).toBeUndefined(); // no name anywhere: not listed
});

test('a school token gets its own school and classes; another district gets none of these; a researcher none', async () => {
  const rows = await names(h.tokens.school);
  expect(rows.filter((r) => r.kind !== 'app').map((r) => r.id)).toEqual(['sA1', 'cA1']);
  expect(rows.some((r) => r.kind === 'app' && r.id === 'appa1')).toBe(true);
  const foreign = await names(h.tokens.foreign);
  expect(foreign.filter((r) => r.kind !== 'app')).toEqual([]);
  expect(foreign.find((r) => r.id === 'appa1')).toBeUndefined();
  expect((await h.get('/v1/names', h.tokens.researcher)).status).toBe(403);
  const csv = await h.get('/v1/names?format=csv', h.tokens.school);
  expect(csv.body.split('\n')[0]).toBe('kind,id,name,school_id');
  expect(csv.body).toContain('school,sA1,Lincoln Elementary,');
});

test('the dashboard shows names, keeps ids in the CSV beside a name column', async () => {
  const app = h.api.app;
  const signIn = await app.inject({
    method: 'POST',
    url: '/dashboard/sign-in',
    headers: {
      host: 'edusage.example',
      origin: 'http://edusage.example',
      'content-type': 'application/x-www-form-urlencoded',
    },
    payload: `token=${h.tokens.admin}`,
  });
  const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
  const page = (url: string) => app.inject({ method: 'GET', url, headers: { cookie } });
  const q = `from=${PERIOD.from}&to=${PERIOD.to}`;

  const schools = await page(`/dashboard/schools?${q}`);
  expect(schools.statusCode).toBe(200);
  expect(schools.body).toMatch(/<a href="[^"]*school=sA1[^"]*" title="sA1">Lincoln Elementary<\/a>/);
  expect(schools.body).toContain('Reading Quest'); // the most used app, by name
  const csv = (await page(`/dashboard/schools?${q}&download=schools`)).body.split('\n');
  expect(csv[0]).toBe('id,name,apps,engaged_hours,events,top_app,top_app_name,top_app_users');
  expect(csv.find((l) => l.startsWith('sA1,'))).toMatch(/^sA1,Lincoln Elementary,/);

  const school = await page(`/dashboard/schools?${q}&school=sA1`);
  expect(school.body).toContain('<h1>Lincoln Elementary</h1>');
  expect(school.body).toMatch(/title="cA1">Grade 5 Math<\/a>/);
  const klass = await page(`/dashboard/schools?${q}&school=sA1&class=cA1`);
  expect(klass.body).toContain('<h1>Grade 5 Math</h1>');

  const appPage = await page(`/dashboard/apps?${q}&app=appa1`);
  expect(appPage.body).toContain('<h1>Reading Quest</h1>');
  // An app without a name keeps its id.
  const unnamed = await page(`/dashboard/apps?${q}&app=appa2`);
  expect(unnamed.body).toContain('<h1>App appa2</h1>');
});
