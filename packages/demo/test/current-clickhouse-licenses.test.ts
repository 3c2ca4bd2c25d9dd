/**
 * The license migration, import (versioned insert, partition drop) and every license query on a
 * current ClickHouse engine (chdb, docs/CLICKHOUSE_SQL.md), checked against figures computed here in
 * plain code from the same enriched events. The rest of the license suite runs on 18.16.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deriveRollups, toClickHouseDateTime, usageEventRow } from '@edusage/aggregate';
import { insertRows, runMigrations } from '@edusage/clickhouse';
import { buildLicenseReport, currentLicenses, importApprovals, importLicenses } from '@edusage/licenses';
import { migrationsDir, startCurrentClickHouse, type CurrentClickHouse } from '@edusage/testkit';
import { makeEnrichedEvents } from '../../../services/aggregate/test/enriched-fixtures';

jest.setTimeout(120_000);

describe('license SQL on current ClickHouse', () => {
  let current: CurrentClickHouse;
  let dir: string;

  beforeAll(async () => {
    current = await startCurrentClickHouse('edusage_licenses_current');
    dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-lic-current-'));
  });
  afterAll(async () => {
    await current?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports, re-imports and reports exactly what the events say', async () => {
    const ch = current.client;
    await runMigrations(ch, migrationsDir());
    // The fixture: 60 people p0..p59 at school s<p % 3>, teachers where p % 10 = 0, days 2026-09-30 and 10-01.
    const events = makeEnrichedEvents(1500, 11, 0);
    const storedAt = toClickHouseDateTime(new Date());
    await insertRows(
      ch,
      'usage_events',
      events.map((e, i) => usageEventRow(e, { topic: 'usage.enriched', partition: 0, offset: String(i) }, storedAt)),
    );
    await deriveRollups(ch, 'usage.enriched', 0, BigInt(events.length));
    const personOf = new Map(events.map((e) => [e.person_id, e]));
    const people = [...personOf.values()].map((e) => ({
      district_id: 'd1',
      roster_version: 'r1',
      person_id: e.person_id,
      role: e.role,
      grade: '',
      school_id: '',
      school_ids: [e.class_id ? e.class_id.split('-')[0]! : (e.school_id ?? 's0')],
      enabled: 1,
      status: 'active',
    }));
    // Every person's school from any of their events that names one (the fixture keeps it per person).
    for (const p of people) {
      const named = events.find((e) => e.person_id === p.person_id && e.school_id !== null);
      if (named) p.school_ids = [named.school_id!];
    }
    await insertRows(ch, 'dim_people', people);
    await insertRows(ch, 'dim_roster_versions', [
      {
        district_id: 'd1',
        roster_version: 'r1',
        imported_ms: 1,
        imported_at: '2026-09-01 00:00:00',
        oneroster_version: '1.1',
        orgs: 3,
        classes: 0,
        people: people.length,
        enrollments: 0,
      },
    ]);

    const csv = path.join(dir, 'licenses.csv');
    const header =
      'licenseId,appId,orgSourcedId,seatsPurchased,contractCost,costBasis,currency,contractStartDate,contractEndDate,audience';
    writeFileSync(csv, `${header}\nold,khan-academy,d1,5,1,flat,USD,2026-07-01,2027-06-30,students\n`);
    await importLicenses(ch, 'd1', csv);
    writeFileSync(
      csv,
      [
        header,
        'Q,quizlet,d1,100,4,per_seat,USD,2026-07-01,2027-06-30,students',
        'D,desmos,s1,unlimited,500,flat,USD,2026-07-01,2027-06-30,all',
        'K,khan-academy,d1,100,900,flat,USD,2026-07-01,2026-09-30,all',
      ].join('\n') + '\n',
    );
    expect((await importLicenses(ch, 'd1', csv)).accepted).toBe(3);
    expect((await currentLicenses(ch, 'd1')).map((l) => l.license_id)).toEqual(['D', 'K', 'Q']);
    const approvals = path.join(dir, 'approvals.csv');
    writeFileSync(approvals, 'appId,status,dpaExpiresOn\nquizlet,approved,2026-09-01\ndesmos,approved,\n');
    await importApprovals(ch, 'd1', approvals);

    const report = await buildLicenseReport(ch, { districtId: 'd1', from: '2026-09-30', to: '2026-10-01' });
    // Plain-code expectations from the events.
    const expectFor = (app: string, roles: string[], school: string | null, lastDay: string) => {
      const used = events.filter(
        (e) =>
          e.app_id === app &&
          roles.includes(e.role) &&
          (school === null || e.school_id === school) &&
          e.local_date <= lastDay,
      );
      const minutes = new Set(
        used
          .filter((e) => e.counts_minute)
          .map((e) => `${e.person_id}|${Math.floor(Date.parse(e.occurred_at) / 60_000)}`),
      );
      const eligible = people.filter(
        (p) => roles.includes(p.role) && (school === null || p.school_ids.includes(school)),
      );
      return {
        active: new Set(used.map((e) => e.person_id)).size,
        engaged: used.reduce((s, e) => s + e.explicit_seconds, 0) + 60 * minutes.size,
        eligible: eligible.length,
        students: people.filter((p) => p.role === 'student' && (school === null || p.school_ids.includes(school)))
          .length,
      };
    };
    const byId = new Map(report.licenses.map((m) => [m.license.license_id, m]));
    const q = expectFor('quizlet', ['student'], null, '2026-10-01');
    const d = expectFor('desmos', ['student', 'teacher', 'other'], 's1', '2026-10-01');
    const k = expectFor('khan-academy', ['student', 'teacher', 'other'], null, '2026-09-30');
    expect(q.active).toBeGreaterThan(0);
    expect(d.active).toBeGreaterThan(0);
    expect(byId.get('Q')).toMatchObject({
      active: q.active,
      eligible: q.eligible,
      seats: 100,
      total_cost: 400,
      unused_seats: 100 - q.active,
    });
    expect(byId.get('Q')!.engaged_hours).toBeCloseTo(q.engaged / 3600, 9);
    expect(byId.get('Q')!.epi).toBeCloseTo(100 / q.active, 9);
    expect(byId.get('D')).toMatchObject({ active: d.active, eligible: d.eligible, seats: null, utilization: null });
    expect(byId.get('D')!.reach).toBeCloseTo(d.active / d.eligible, 9);
    expect(byId.get('K')).toMatchObject({ active: k.active, eligible: k.eligible });
    // khan-academy after its term (Oct 1), every role, in the window.
    const after = new Set(
      events.filter((e) => e.app_id === 'khan-academy' && e.local_date === '2026-10-01').map((e) => e.person_id),
    );
    expect(report.expired_but_used).toEqual([expect.objectContaining({ license_id: 'K', active: after.size })]);
    const trendQ = report.trend.filter((t) => t.license_id === 'Q');
    expect(trendQ).toEqual([{ license_id: 'Q', week: '2026-09-28', active: q.active }]);
    const s1 = report.schools.find((s) => s.license_id === 'D' && s.school_id === 's1');
    expect(s1).toMatchObject({ active: d.active, eligible: d.eligible });
    // quizlet's DPA expired before the window end; the unknown domain was never reviewed.
    const unapproved = new Map(report.unapproved.map((u) => [u.app_id, u.reason]));
    expect(unapproved.get('quizlet')).toBe('dpa_expired');
    expect(unapproved.get('domain:unknown.example')).toBe('not_approved');
    expect(unapproved.has('desmos')).toBe(false);
    expect(report.unlicensed.map((u) => u.app_id)).toEqual(['domain:unknown.example']);
  });
});
