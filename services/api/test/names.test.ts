/**
 * Names of the district's ids (`/v1/names`, and the dashboard showing them): school names and class
 * titles of the current roster in ClickHouse, app names of the shipped catalog and of the district's
 * own catalog in Redis. On the real ClickHouse and Redis, through the API service.
 */
import { Redis } from 'ioredis';
import { insertRows } from '@edusage/clickhouse';
import { saveDistrictCatalog, type AppEntry } from '@edusage/enrich';
import { districtNamesReader } from '../src/names';
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
  await insertRows(h.ch, 'dim_classes', [
    klass('cA1', 'Grade 5 Math', 'sA1'),
    // Names come from district files: markup, quotes and a leading = must stay text.
    klass('cA2', 'Grade 6 <script>alert(1)</script> & "Reading"', 'sA2'),
  ]);
  const redis = new Redis(h.env.config.REDIS_URL);
  try {
    await saveDistrictCatalog(redis, h.env.config.REDIS_KEY_PREFIX, 'dA', [
      { app_id: 'appa1', name: 'Reading Quest', domains: ['readingquest.example'], category: 'reading' },
      { app_id: 'appa2', name: '=HYPERLINK("http://evil.example")', domains: ['appa2.example'], category: 'other' },
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
    { kind: 'class', id: 'cA2', name: 'Grade 6 <script>alert(1)</script> & "Reading"', school_id: 'sA2' },
  ]);
  const app = (id: string) => rows.find((r) => r.kind === 'app' && r.id === id)?.name;
  expect(app('appa1')).toBe('Reading Quest');
  expect(app('google-docs')).toBe('Docs (district)');
  expect(app('khan-academy')).toBe('Khan Academy'); // shipped catalog
  expect(app('domain:unknown.example')).toBeUndefined(); // no name anywhere: not listed
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

/** Signs `token` in to the dashboard; returns a page getter with its session. */
async function dashboardAs(token: string) {
  const app = h.api.app;
  const signIn = await app.inject({
    method: 'POST',
    url: '/dashboard/sign-in',
    headers: {
      host: 'edusage.example',
      origin: 'http://edusage.example',
      'content-type': 'application/x-www-form-urlencoded',
    },
    payload: `token=${token}`,
  });
  const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
  return (url: string) => app.inject({ method: 'GET', url, headers: { cookie } });
}

const q = `from=${PERIOD.from}&to=${PERIOD.to}`;

test('the dashboard shows names, keeps ids in the CSV beside a name column', async () => {
  const page = await dashboardAs(h.tokens.admin);

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
  const unnamed = await page(`/dashboard/apps?${q}&app=${encodeURIComponent('domain:unknown.example')}`);
  expect(unnamed.body).toContain('<h1>App domain:unknown.example</h1>');

  // Names are text: escaped on the page, defused in the CSV (a spreadsheet would run =HYPERLINK).
  const sA2 = await page(`/dashboard/schools?${q}&school=sA2`);
  expect(sA2.body).not.toContain('<script>alert(1)</script>');
  expect(sA2.body).toContain('Grade 6 &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Reading&quot;');
  const apps = (await page(`/dashboard/apps?${q}&download=apps`)).body;
  expect(apps).toContain(`appa2,"'=HYPERLINK(""http://evil.example"")"`);
  expect((await h.get('/v1/names?format=csv', h.tokens.admin)).body).toContain(
    `app,appa2,"'=HYPERLINK(""http://evil.example"")",`,
  );
});

test("a school token's dashboard names its school in the header and shows no other school's name", async () => {
  const page = await dashboardAs(h.tokens.school);
  const school = await page(`/dashboard/schools?${q}`);
  expect(school.statusCode).toBe(200);
  expect(school.body).toContain('school Lincoln Elementary');
  expect(school.body).toContain('<h1>Lincoln Elementary</h1>');
  expect(school.body).not.toContain('Jefferson Middle');
  expect(school.body).not.toContain('Grade 6');
});

test('the cache: a failed read gives the last names read, a district catalog not answering the shipped names', async () => {
  let clock = 0;
  let failing = false;
  // The real ClickHouse, made to fail on demand.
  const ch = new Proxy(h.ch, {
    get: (target, prop, receiver) =>
      prop === 'query' && failing
        ? () => Promise.reject(new Error('ClickHouse down'))
        : (Reflect.get(target, prop, receiver) as unknown),
  });
  const catalogErrors: string[] = [];
  let catalog: () => Promise<AppEntry[]> = async () => [
    { app_id: 'appa1', name: 'Reading Quest', domains: [], category: 'reading' },
  ];
  const read = districtNamesReader({
    ch,
    districtCatalog: () => catalog(),
    onCatalogError: (err) => catalogErrors.push(String(err)),
    cacheMs: 1_000,
    retryMs: 500,
    now: () => clock,
  });
  expect((await read('dA')).schools.get('sA1')).toBe('Lincoln Elementary');
  failing = true;
  clock = 2_000;
  expect((await read('dA')).schools.get('sA1')).toBe('Lincoln Elementary'); // the last good names
  // A district never read, while failing: the error, and nothing cached.
  await expect(read('dB')).rejects.toThrow('ClickHouse down');
  failing = false;
  expect((await read('dB')).schools.size).toBe(0);
  // The district's catalog failing: the shipped names, the failure reported.
  catalog = () => Promise.reject(new Error('Redis down'));
  clock = 10_000;
  const names = await read('dA');
  expect(names.apps.get('appa1')).toBeUndefined();
  expect(names.apps.get('khan-academy')).toBe('Khan Academy');
  expect(catalogErrors).toEqual(['Error: Redis down']);
});
