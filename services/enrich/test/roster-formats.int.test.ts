import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createClickHouse, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { importRoster, loadEnrichConfig, parseColumnRenames, RosterRefusedError, type EnrichConfig } from '../src';
import { documentedPseudonym } from './documented-ids';

const samples = path.join(__dirname, 'samples');
const CLASSLINK = path.join(samples, 'classlink-users-orgs-role-twice');
const SDS_V21 = path.join(samples, 'sds-v2.1');
const SDS_V1 = path.join(samples, 'sds-v1');
const KEY = 'integration-pseudonym-key-formats';

let env: TestEnv;
let config: EnrichConfig;
let redis: Redis;
let ch: ClickHouseClient;

beforeAll(async () => {
  env = await createTestEnv('enrich_roster_formats');
  config = loadEnrichConfig({ ...env.env, PSEUDONYM_KEY: KEY });
  redis = new Redis(config.REDIS_URL);
  ch = createClickHouse(config);
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await ch?.close();
  await env?.cleanup();
});

const base = () => ({ redis, redisPrefix: config.REDIS_KEY_PREFIX, pseudonymKey: KEY, clickhouse: ch });
const current = (district: string) => redis.get(`${config.REDIS_KEY_PREFIX}roster:${district}:current`);

async function people(district: string) {
  return queryRows<{ person_id: string; role: string; school_id: string; school_ids: string[] }>(
    ch,
    `SELECT person_id, role, school_id, school_ids FROM dim_people_current WHERE district_id = '${district}' ORDER BY person_id`,
  );
}

describe('roster formats on the real Redis and ClickHouse', () => {
  it('refuses the ClassLink-shaped users.csv (nothing written); with --rename and --accept-warnings it loads right', async () => {
    await expect(importRoster({ dir: CLASSLINK, districtId: 'cl', ...base() })).rejects.toThrow(RosterRefusedError);
    await expect(importRoster({ dir: CLASSLINK, districtId: 'cl', ...base(), acceptWarnings: true })).rejects.toThrow(
      /orgSourcedIds is missing/,
    );
    expect(await current('cl')).toBeNull();
    expect(await people('cl')).toEqual([]);

    const renames = parseColumnRenames(['users.csv:orgs=orgSourcedIds']);
    await expect(importRoster({ dir: CLASSLINK, districtId: 'cl', ...base(), renames })).rejects.toThrow(
      /role appears 2 times/,
    );
    const result = await importRoster({ dir: CLASSLINK, districtId: 'cl', ...base(), renames, acceptWarnings: true });
    expect(await current('cl')).toBe(result.version);
    // Expected from users.csv by hand: four students, two teachers; tch-2 teaches at both schools.
    const pid = (id: string) => documentedPseudonym(KEY, 'cl', id);
    const expected = [
      { id: 'stu-1', role: 'student', school_id: 'sch-a', school_ids: ['sch-a'] },
      { id: 'stu-2', role: 'student', school_id: 'sch-a', school_ids: ['sch-a'] },
      { id: 'stu-3', role: 'student', school_id: 'sch-b', school_ids: ['sch-b'] },
      { id: 'stu-4', role: 'student', school_id: 'sch-b', school_ids: ['sch-b'] },
      { id: 'tch-1', role: 'teacher', school_id: 'sch-a', school_ids: ['sch-a'] },
      { id: 'tch-2', role: 'teacher', school_id: '', school_ids: ['sch-a', 'sch-b'] },
    ].map(({ id, ...rest }) => ({ person_id: pid(id), ...rest }));
    const got = await people('cl');
    expect(got.map((p) => ({ ...p, school_ids: [...p.school_ids].sort() }))).toEqual(
      expected.sort((a, b) => a.person_id.localeCompare(b.person_id)),
    );
  });

  it('imports Microsoft SDS v2.1 with every class membership into the dimensions (no raw ids)', async () => {
    const result = await importRoster({ dir: SDS_V21, districtId: 'sds', ...base() });
    expect(result.report.format).toBe('sds');
    expect(result.counts).toMatchObject({ orgs: 4, users: 8, classes: 2, courses: 3, enrollments: 6, sessions: 2 });
    const classes = await queryRows<{ class_id: string; school_id: string; students: number; teachers: number }>(
      ch,
      "SELECT class_id, school_id, students, teachers FROM dim_classes_current WHERE district_id = 'sds' ORDER BY class_id",
    );
    // Head counts are of the import day: the sample's terms ended in 2021, so nobody is enrolled now
    // (roster-days.test.ts counts them on a day of the terms: 1 student + 1 professor, 3 + 1).
    expect(classes).toEqual([
      { class_id: '112001', school_id: '110001', students: 0, teachers: 0 },
      { class_id: '112002', school_id: '110003', students: 0, teachers: 0 },
    ]);
    const enrollments = await queryRows<{ n: string }>(
      ch,
      "SELECT count() AS n FROM dim_enrollments_current WHERE district_id = 'sds'",
    );
    expect(Number(enrollments[0]?.n)).toBe(6);
    const dump =
      JSON.stringify(await queryRows(ch, "SELECT * FROM dim_people WHERE district_id = 'sds'")) +
      JSON.stringify(await queryRows(ch, "SELECT * FROM dim_enrollments WHERE district_id = 'sds'"));
    expect(dump).not.toMatch(/1140\d\d|classrmtest31|outlook\.com/);
  });

  it('CLI: check exits 3 on the ClassLink file; import --format sds-v1 loads every membership', async () => {
    const cli = path.resolve(__dirname, '../dist/cli.js');
    const run = promisify(execFile);
    const childEnv = { ...process.env, ...env.env, PSEUDONYM_KEY: KEY, LOG_LEVEL: 'warn' };
    await expect(run('node', [cli, 'roster', 'check', CLASSLINK], { env: childEnv })).rejects.toMatchObject({
      code: 3,
      stdout: expect.stringMatching(
        /FILE ERR users\.csv, field orgSourcedIds: .*--rename users\.csv:orgs=orgSourcedIds/,
      ),
    });
    await expect(
      run('node', [cli, 'roster', 'import', '--district', 'cl2', CLASSLINK], { env: childEnv }),
    ).rejects.toMatchObject({ code: 3, stderr: expect.stringMatching(/the roster was not imported/) });

    const out = await run('node', [cli, 'roster', 'import', '--district', 'v1', '--format', 'sds-v1', SDS_V1], {
      env: childEnv,
    });
    expect(out.stdout).toMatch(/format: Microsoft SDS v1/);
    expect(out.stdout).toMatch(/StudentEnrollment\.csv\s+44\s+44\s+0\s+0/);
    const roles = await queryRows<{ role: string; n: string }>(
      ch,
      "SELECT role, count() AS n FROM dim_enrollments_current WHERE district_id = 'v1' GROUP BY role ORDER BY role",
    );
    // StudentEnrollment.csv has 44 rows, TeacherRoster.csv 2.
    expect(roles).toEqual([
      { role: 'student', n: '44' },
      { role: 'teacher', n: '2' },
    ]);
  });
});
