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
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { insertRows, type ClickHouseClient } from '@edusage/clickhouse';
import { deriveRollups } from '@edusage/aggregate';
import { importLicenses } from '@edusage/licenses';

export const WEEK = '2026-09-07';
const TOPIC = 'usage.enriched';

interface Ev {
  person: string;
  role: string;
  school: string;
  app: string;
  day: string;
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
    app_resolved: 1,
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

const LICENSES = [
  'licenseId,appId,vendor,orgSourcedId,seatsPurchased,contractCost,costBasis,currency,contractStartDate,contractEndDate,renewalDate,audience,grades,notes',
  'L-A,app-a,Vendor A,d1,40,4000,flat,USD,2026-07-01,2027-06-30,,students,,',
  'L-B,app-b,Vendor B,d1,10,500,flat,USD,2026-07-01,2027-06-30,,students,,',
  'L-C,app-c,Vendor C,d1,5,100,flat,USD,2026-07-01,2027-06-30,,students,,',
];

/** Stores the district described above in the database `ch` is bound to. */
export async function storeDistrict(ch: ClickHouseClient): Promise<void> {
  const list = events();
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
    writeFileSync(file, LICENSES.join('\n') + '\n');
    await importLicenses(ch, 'd1', file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
