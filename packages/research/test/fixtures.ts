/**
 * A small district stored directly in a test database: usage events (and one revision), the rollups
 * derived from them by the aggregate's own derivation, roster people with grades, and a license
 * inventory imported with the licenses command's importer. The expected research figures of the
 * tests are written by hand from this description, not read back from the code under test.
 *
 * Week of Monday 2026-09-07, district d1, all events 600 s of explicit time:
 * - app-a: sch-1 grade 05, students p01–p12, each on Monday and Wednesday (2 events);
 *          sch-2 grade 06, students p13–p15, one event each;
 *          sch-3 grade 06, students p16–p28, one event each; p29, p30 (roster grade ''), one each;
 *          sch-3, p31 stored unresolved (role unknown) and resolved by a revision as a grade 06 student;
 *          a teacher t01 at sch-1 and an unresolved person u01 (not students), p01 again on the next
 *          Monday (another week).
 * - app-b: p01–p04 (sch-1, grade 05), one event each on Tuesday.
 *
 * PRIVACY_EVENTS (only where a test adds them, storeDistrict's `extraEvents` or addEvents): use of apps
 * the catalog did not know (app_resolved = 0): a free-text app id that is a spreadsheet formula,
 * sent for p01–p12 (Tuesday); a personal site `domain:maria-lopez-2031.weebly.com` visited by p01–p03
 * (Wednesday); `domain:vendor.example` used by p16–p28 (Thursday), which PRIVACY_LICENSES license.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClickHouse, insertRows, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { deriveRollups } from '@edusage/aggregate';
import { importLicenses } from '@edusage/licenses';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { ensureResearchSchema } from '../src';

export const WEEK = '2026-09-07';
const TOPIC = 'usage.enriched';

export interface Ev {
  person: string;
  role: string;
  school: string;
  app: string;
  day: string;
  /** The catalog knew the app (app_resolved); default true. */
  resolved?: boolean;
}

const pad = (n: number) => String(n).padStart(2, '0');
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function events(): Ev[] {
  const out: Ev[] = [];
  const student = (n: number, school: string, app: string, day: string) =>
    out.push({ person: `p${pad(n)}`, role: 'student', school, app, day });
  for (const n of range(1, 12)) {
    student(n, 'sch-1', 'app-a', '2026-09-07');
    student(n, 'sch-1', 'app-a', '2026-09-09');
  }
  for (const n of range(13, 15)) student(n, 'sch-2', 'app-a', '2026-09-08');
  for (const n of range(16, 30)) student(n, 'sch-3', 'app-a', '2026-09-10');
  out.push({ person: 'raw-p31', role: 'unknown', school: 'sch-3', app: 'app-a', day: '2026-09-11' });
  out.push({ person: 't01', role: 'teacher', school: 'sch-1', app: 'app-a', day: '2026-09-07' });
  out.push({ person: 'u01', role: 'unknown', school: '', app: 'app-a', day: '2026-09-07' });
  student(1, 'sch-1', 'app-a', '2026-09-14');
  for (const n of range(1, 4)) student(n, 'sch-1', 'app-b', '2026-09-08');
  return out;
}

function eventRow(e: Ev, offset: number) {
  return {
    district_id: 'd1',
    local_date: e.day,
    occurred_at: `${e.day} 15:00:00`,
    school_id: e.school,
    class_id: '',
    class_attribution: 'none',
    person_id: e.person,
    person_resolved: e.role === 'unknown' ? 0 : 1,
    role: e.role,
    app_id: e.app,
    app_resolved: e.resolved === false ? 0 : 1,
    app_domain: `${e.app}.example`,
    source: 'agent',
    event_type: 'use',
    campus: 'unknown',
    explicit_seconds: 600,
    counts_minute: 0,
    event_id: `e${offset}`,
    dedup_key: `k${offset}`,
    kafka_topic: TOPIC,
    kafka_partition: 0,
    kafka_offset: offset,
    stored_at: '2026-09-15 00:00:00',
  };
}

function people() {
  const rows: { person_id: string; role: string; grade: string; school_id: string }[] = [];
  for (const n of range(1, 12))
    rows.push({ person_id: `p${pad(n)}`, role: 'student', grade: '05', school_id: 'sch-1' });
  for (const n of range(13, 15))
    rows.push({ person_id: `p${pad(n)}`, role: 'student', grade: '06', school_id: 'sch-2' });
  for (const n of range(16, 28))
    rows.push({ person_id: `p${pad(n)}`, role: 'student', grade: '06', school_id: 'sch-3' });
  for (const n of [29, 30]) rows.push({ person_id: `p${pad(n)}`, role: 'student', grade: '', school_id: 'sch-3' });
  rows.push({ person_id: 'p31', role: 'student', grade: '06', school_id: 'sch-3' });
  rows.push({ person_id: 't01', role: 'teacher', grade: '', school_id: 'sch-1' });
  return rows.map((p) => ({
    district_id: 'd1',
    roster_version: 'v1',
    ...p,
    school_ids: [p.school_id],
    enabled: 1,
    status: 'active',
  }));
}

export const FORMULA_APP = '=hyperlink("https://evil.example","x")';
export const PERSONAL_APP = 'domain:maria-lopez-2031.weebly.com';
export const LICENSED_DOMAIN_APP = 'domain:vendor.example';

/** The unresolved apps' events described above. */
export const PRIVACY_EVENTS: readonly Ev[] = [
  ...range(1, 12).map((n) => ({
    person: `p${pad(n)}`,
    role: 'student',
    school: 'sch-1',
    app: FORMULA_APP,
    day: '2026-09-08',
    resolved: false,
  })),
  ...range(1, 3).map((n) => ({
    person: `p${pad(n)}`,
    role: 'student',
    school: 'sch-1',
    app: PERSONAL_APP,
    day: '2026-09-09',
    resolved: false,
  })),
  ...range(16, 28).map((n) => ({
    person: `p${pad(n)}`,
    role: 'student',
    school: 'sch-3',
    app: LICENSED_DOMAIN_APP,
    day: '2026-09-10',
    resolved: false,
  })),
];

const LICENSE_HEADER =
  'licenseId,appId,vendor,orgSourcedId,seatsPurchased,contractCost,costBasis,currency,contractStartDate,contractEndDate,renewalDate,audience,grades,notes';

const LICENSES = [
  'L-A,app-a,Vendor A,d1,40,4000,flat,USD,2026-07-01,2027-06-30,,students,,',
  'L-B,app-b,Vendor B,d1,10,500,flat,USD,2026-07-01,2027-06-30,,students,,',
  'L-C,app-c,Vendor C,d1,5,100,flat,USD,2026-07-01,2027-06-30,,students,,',
];

/**
 * The privacy tests' inventory: app-a district-wide (L-A), scoped to each school (L-S1, L-S2, L-S3), to
 * sch-1 for students and teachers (L-ALL1), district-wide from Thursday of the week (L-MID); and the
 * licensed domain app district-wide (L-V), from Thursday (L-V2) and for students and teachers (L-ALLV).
 */
export const PRIVACY_LICENSES = [
  'L-A,app-a,Vendor A,d1,40,4000,flat,USD,2026-07-01,2027-06-30,,students,,',
  'L-S1,app-a,Vendor A,sch-1,20,1000,flat,USD,2026-07-01,2027-06-30,,students,,',
  'L-S2,app-a,Vendor A,sch-2,20,1000,flat,USD,2026-07-01,2027-06-30,,students,,',
  'L-S3,app-a,Vendor A,sch-3,20,1000,flat,USD,2026-07-01,2027-06-30,,students,,',
  'L-ALL1,app-a,Vendor A,sch-1,20,1000,flat,USD,2026-07-01,2027-06-30,,all,,',
  'L-MID,app-a,Vendor A,d1,40,1000,flat,USD,2026-09-10,2027-06-30,,students,,',
  `L-V,${LICENSED_DOMAIN_APP},Vendor V,d1,20,1000,flat,USD,2026-07-01,2027-06-30,,students,,`,
  `L-V2,${LICENSED_DOMAIN_APP},Vendor V,d1,20,1000,flat,USD,2026-09-10,2027-06-30,,students,,`,
  `L-ALLV,${LICENSED_DOMAIN_APP},Vendor V,d1,20,1000,flat,USD,2026-07-01,2027-06-30,,all,,`,
];

/**
 * Stores more events (offsets after the district's) and folds them into the rollups, as the sink
 * would (unless `fold: false`: stored, not folded yet); call once, after storeDistrict.
 */
export async function addEvents(ch: ClickHouseClient, extra: readonly Ev[], o: { fold?: boolean } = {}): Promise<void> {
  const base = events().length;
  await insertRows(
    ch,
    'usage_events',
    extra.map((e, i) => eventRow(e, base + i)),
  );
  if (o.fold !== false) await deriveRollups(ch, TOPIC, 0, BigInt(base + extra.length));
}

/** Folds every stored event into the rollups (after addEvents with `fold: false`). */
export async function foldStoredEvents(ch: ClickHouseClient): Promise<void> {
  const [row] = await queryRows<{ n: string }>(ch, 'SELECT toString(count()) AS n FROM usage_events');
  await deriveRollups(ch, TOPIC, 0, BigInt(row!.n));
}

/**
 * Stores the district described above in the database `ch` is bound to; `extraEvents` after its own,
 * `licenses` (CSV lines) instead of its inventory.
 */
export async function storeDistrict(
  ch: ClickHouseClient,
  o: { extraEvents?: readonly Ev[]; licenses?: readonly string[] } = {},
): Promise<void> {
  const list = [...events(), ...(o.extraEvents ?? [])];
  await insertRows(
    ch,
    'usage_events',
    list.map((e, i) => eventRow(e, i)),
  );
  const unresolved = list.findIndex((e) => e.person === 'raw-p31');
  await insertRows(ch, 'usage_event_revisions', [
    {
      ...eventRow({ ...list[unresolved]!, person: 'p31', role: 'student' }, unresolved),
      revision: 1,
      roster_version: 'v1',
      revised_at: '2026-09-16 00:00:00',
    },
  ]);
  await deriveRollups(ch, TOPIC, 0, BigInt(list.length));
  await insertRows(ch, 'dim_people', people());
  await insertRows(ch, 'dim_roster_versions', [
    {
      district_id: 'd1',
      roster_version: 'v1',
      imported_ms: 1,
      imported_at: '2026-09-01 00:00:00',
      oneroster_version: '1.1',
      orgs: 3,
      classes: 0,
      people: 32,
      enrollments: 0,
    },
  ]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-research-'));
  try {
    const file = path.join(dir, 'licenses.csv');
    writeFileSync(file, [LICENSE_HEADER, ...(o.licenses ?? LICENSES)].join('\n') + '\n');
    await importLicenses(ch, 'd1', file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A suite's own databases (main and research, dropped by `close`) holding the district above. */
export interface ResearchSuite {
  env: TestEnv;
  ch: ClickHouseClient;
  researchDb: string;
  close(): Promise<void>;
}

/** Creates the suite's database (testkit), its research schema, and stores the district (storeDistrict's options). */
export async function openResearchSuite(
  name: string,
  district: Parameters<typeof storeDistrict>[1] = {},
): Promise<ResearchSuite> {
  const env = await createTestEnv(name, { kafka: false });
  // The name testkit's cleanup drops with the suite's database.
  const researchDb = `${env.config.CLICKHOUSE_DATABASE}_research`;
  await ensureResearchSchema(env.config, researchDb);
  const ch = createClickHouse(env.config);
  await storeDistrict(ch, district);
  return {
    env,
    ch,
    researchDb,
    async close() {
      await ch.close();
      await env.cleanup();
    },
  };
}
