/** A roster import checks course_apps.csv against the catalog the district's events resolve with (Redis). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { importRoster, loadEnrichConfig, saveDistrictCatalog, type EnrichConfig } from '../src';

const KEY = 'integration-pseudonym-key-course-apps';

let env: TestEnv;
let config: EnrichConfig;
let redis: Redis;

beforeAll(async () => {
  env = await createTestEnv('enrich_course_apps', { kafka: false });
  config = loadEnrichConfig({ ...env.env, PSEUDONYM_KEY: KEY });
  redis = new Redis(config.REDIS_URL);
});

afterAll(async () => {
  redis?.disconnect();
  await env?.cleanup();
});

function folder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'enrich-course-apps-'));
  writeFileSync(
    path.join(dir, 'courses.csv'),
    'sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId\nm7,active,,,Math 7,M7,07,dist\n',
  );
  writeFileSync(path.join(dir, 'course_apps.csv'), 'courseSourcedId,appId\nm7,reading-plus\nm7,khanacademy.org\n');
  return dir;
}

it("an app of the district's catalog extension is known; a domain is named with the id its events carry", async () => {
  const apps = [{ app_id: 'reading-plus', name: 'Reading Plus', domains: ['readingplus.com'], category: 'reading' }];
  await saveDistrictCatalog(redis, config.REDIS_KEY_PREFIX, 'd1', apps);
  const base = { dir: folder(), redis, redisPrefix: config.REDIS_KEY_PREFIX, pseudonymKey: KEY };

  const withExtension = await importRoster({ ...base, districtId: 'd1' });
  const warned = (r: typeof withExtension) =>
    r.report.issues.filter((i) => i.file === 'course_apps.csv').map((i) => `${i.line}:${i.field}:${i.message}`);
  expect(warned(withExtension)).toEqual([
    expect.stringMatching(/^3:appId:.*not an app id of the shipped app catalog and district d1's.*write khan-academy$/),
  ]);

  // Another district has no extension: its events would not resolve reading-plus.
  const shippedOnly = await importRoster({ ...base, districtId: 'd2' });
  expect(warned(shippedOnly)).toEqual([
    expect.stringMatching(/^2:appId:appId "reading-plus" is not in the shipped app catalog/),
    expect.stringMatching(/^3:appId:.*write khan-academy$/),
  ]);
});
