import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createClickHouse, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { importRoster, loadRosterFromRedis, loadDistrictCatalog, loadEnrichConfig, type EnrichConfig } from '../src';
import { documentedPseudonym } from './documented-ids';

const fixtures = path.resolve(__dirname, '../../../../shared/fixtures');
const LEPO = path.join(fixtures, 'lepo-roster-hub/sample_csv/en');
const EDFI = path.join(fixtures, 'edfi-lms-toolkit/sample-in/OneRoster 1.1 Sample Data');
const KEY = 'integration-pseudonym-key-123456';

let env: TestEnv;
let config: EnrichConfig;
let redis: Redis;
let ch: ClickHouseClient;

beforeAll(async () => {
  env = await createTestEnv('enrich_roster');
  config = loadEnrichConfig({ ...env.env, PSEUDONYM_KEY: KEY });
  redis = new Redis(config.REDIS_URL);
  ch = createClickHouse(config);
});

afterAll(async () => {
  redis?.disconnect();
  await ch?.close();
  await env?.cleanup();
});

const keysOf = async (pattern: string) => (await redis.keys(`${config.REDIS_KEY_PREFIX}${pattern}`)).sort();

describe('roster import into Redis and ClickHouse', () => {
  let first: Awaited<ReturnType<typeof importRoster>>;

  it('imports a fixture bundle: Redis version + current pointer, ClickHouse dimensions', async () => {
    first = await importRoster({
      dir: LEPO,
      districtId: 'd1',
      redis,
      redisPrefix: config.REDIS_KEY_PREFIX,
      pseudonymKey: KEY,
      clickhouse: ch,
    });
    expect(first.counts).toMatchObject({
      orgs: 1,
      users: 20,
      classes: 5,
      courses: 2,
      enrollments: 30,
      sessions: 4,
    });
    expect(await redis.get(`${config.REDIS_KEY_PREFIX}roster:d1:current`)).toBe(first.version);
    expect(await redis.smembers(`${config.REDIS_KEY_PREFIX}roster:districts`)).toEqual(['d1']);
    expect(await redis.hlen(`${config.REDIS_KEY_PREFIX}roster:d1:${first.version}:users`)).toBe(20);
    const loaded = await loadRosterFromRedis(redis, config.REDIS_KEY_PREFIX, 'd1');
    expect(loaded?.version).toBe(first.version);
    expect(loaded?.data.enrollments.get('en0001')).toMatchObject({
      classSourcedId: 'cl0001',
      userSourcedId: 'us0001',
      role: 'teacher',
    });

    const people = await queryRows<{
      person_id: string;
      role: string;
      school_id: string;
    }>(ch, "SELECT person_id, role, school_id FROM dim_people_current WHERE district_id = 'd1' ORDER BY person_id");
    expect(people).toHaveLength(20);
    expect(people.map((p) => p.person_id)).toContain(documentedPseudonym(KEY, 'd1', 'us0001'));
    expect(people.every((p) => p.school_id === 'or0001')).toBe(true);
    const classes = await queryRows<{
      class_id: string;
      course_title: string;
      school_id: string;
      students: number;
      teachers: number;
    }>(
      ch,
      "SELECT class_id, course_title, school_id, students, teachers FROM dim_classes_current WHERE district_id = 'd1' ORDER BY class_id",
    );
    expect(classes).toHaveLength(5);
    expect(classes[0]).toMatchObject({
      class_id: 'cl0001',
      course_title: 'Introduction to Information Processing',
      school_id: 'or0001',
    });
    expect(await queryRows(ch, "SELECT school_id, name FROM dim_schools_current WHERE district_id = 'd1'")).toEqual([
      { school_id: 'or0001', name: 'Sample School' },
    ]);
    const enrollments = await queryRows<{ n: string }>(
      ch,
      "SELECT count() AS n FROM dim_enrollments_current WHERE district_id = 'd1'",
    );
    expect(Number(enrollments[0]?.n)).toBe(30);
    // No raw ids, emails or usernames in any people-bearing dimension.
    const dump =
      JSON.stringify(await queryRows(ch, 'SELECT * FROM dim_people')) +
      JSON.stringify(await queryRows(ch, 'SELECT * FROM dim_enrollments'));
    expect(dump).not.toMatch(/us00\d\d|user\d\d|sample-u\.ac\.jp/);
  });

  it('a re-import replaces the roster: new current version, old Redis keys and ClickHouse partitions gone', async () => {
    const second = await importRoster({
      dir: EDFI,
      districtId: 'd1',
      redis,
      redisPrefix: config.REDIS_KEY_PREFIX,
      pseudonymKey: KEY,
      clickhouse: ch,
    });
    expect(second.version > first.version).toBe(true);
    expect(second.previousVersion).toBe(first.version);
    expect(second.droppedClickHouseVersions).toEqual([first.version]);
    expect(await redis.get(`${config.REDIS_KEY_PREFIX}roster:d1:current`)).toBe(second.version);
    expect(await keysOf(`roster:d1:${first.version}:*`)).toEqual([]);
    expect((await keysOf('roster:d1:*')).every((k) => k.endsWith(':current') || k.includes(second.version))).toBe(true);
    const versions = await queryRows<{ roster_version: string }>(
      ch,
      "SELECT DISTINCT roster_version FROM dim_people WHERE district_id = 'd1'",
    );
    expect(versions).toEqual([{ roster_version: second.version }]);
    const people = await queryRows<{ n: string }>(
      ch,
      "SELECT count() AS n FROM dim_people_current WHERE district_id = 'd1'",
    );
    expect(Number(people[0]?.n)).toBe(10);
    expect(await queryRows(ch, 'SELECT roster_version FROM dim_roster_versions ORDER BY imported_ms')).toEqual([
      { roster_version: first.version },
      { roster_version: second.version },
    ]);
  });

  it('refuses a delta bundle unless allowed', async () => {
    const delta = path.join(fixtures, 'catalyst-moodle-enrol_oneroster/oneroster_test_data');
    await expect(
      importRoster({
        dir: delta,
        districtId: 'd3',
        redis,
        redisPrefix: config.REDIS_KEY_PREFIX,
        pseudonymKey: KEY,
      }),
    ).rejects.toThrow(/delta/);
    expect(await redis.get(`${config.REDIS_KEY_PREFIX}roster:d3:current`)).toBeNull();
  });

  it('CLI: roster import and catalog import (compiled dist)', async () => {
    const cli = path.resolve(__dirname, '../dist/cli.js');
    const run = promisify(execFile);
    const childEnv = {
      ...process.env,
      ...env.env,
      PSEUDONYM_KEY: KEY,
      LOG_LEVEL: 'warn',
    };
    const v12 = path.join(fixtures, 'catalyst-moodle-enrol_oneroster/v1p2_full_dataset');
    const out = await run('node', [cli, 'roster', 'import', '--district', 'd2', v12], { env: childEnv });
    expect(out.stdout).toMatch(/roster of district d2 imported as version/);
    expect(out.stdout).toMatch(/classes\.csv\s+2\s+1\s+1\s+0/);
    expect(out.stdout).toMatch(/enrollments\.csv, field classSourcedId: enrollment "enr-t-222-12345-123232"/);
    const roles = await queryRows<{ role: string; n: string }>(
      ch,
      "SELECT role, count() AS n FROM dim_people_current WHERE district_id = 'd2' GROUP BY role ORDER BY role",
    );
    expect(roles).toEqual([
      { role: 'administrator', n: '1' },
      { role: 'student', n: '3' },
      { role: 'teacher', n: '2' },
    ]);
    const catalogFile = path.join(__dirname, 'district-catalog.json');
    const c = await run('node', [cli, 'catalog', 'import', '--district', 'd2', catalogFile], { env: childEnv });
    expect(c.stdout).toMatch(/2 app\(s\)/);
    const catalog = await loadDistrictCatalog(redis, config.REDIS_KEY_PREFIX, 'd2');
    expect(catalog?.apps.map((a) => a.app_id).sort()).toEqual(['district-portal', 'reading-plus']);
    await expect(
      run('node', [cli, 'roster', 'import', '--district', 'bad district', v12], { env: childEnv }),
    ).rejects.toMatchObject({
      stderr: expect.stringMatching(/district id/),
    });
  });
});
