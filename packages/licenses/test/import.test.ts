/**
 * License and approval imports on the real ClickHouse (the suite's own database): every bad row is
 * reported with its line and field and skipped while the good rows beside it are stored; a re-import
 * replaces the district's inventory in one step and the same file imported twice gives the same
 * inventory; an import that dies before recording its version leaves the current inventory untouched.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClickHouse, insertRows, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import {
  ABANDONED_AFTER_MS,
  currentApprovals,
  currentLicenses,
  importApprovals,
  importLicenses,
  newVersion,
  VersionWriter,
} from '../src';

jest.setTimeout(120_000);

const HEADER =
  'licenseId,appId,vendor,orgSourcedId,seatsPurchased,contractCost,costBasis,currency,contractStartDate,contractEndDate,renewalDate,audience,grades,notes';

describe('license and approval imports', () => {
  let env: TestEnv;
  let ch: ClickHouseClient;
  let dir: string;
  const file = (name: string, lines: string[]) => {
    const p = path.join(dir, name);
    writeFileSync(p, lines.join('\n') + '\n');
    return p;
  };

  beforeAll(async () => {
    env = await createTestEnv('licenses_import');
    ch = createClickHouse(env.config);
    dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-licenses-'));
  });
  afterAll(async () => {
    await ch?.close();
    await env?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports each bad row by line and field, skips it and stores the good rows', async () => {
    const f = file('licenses.csv', [
      HEADER, // line 1
      'L1,ixl,IXL,d1,100,12,per_seat,USD,2026-07-01,2027-06-30,2027-06-30,students,,', // 2 good
      'L2,quizlet,Quizlet,d1,many,200,flat,USD,2026-07-01,2027-06-30,,students,,', // 3 seats
      'L3,newsela,Newsela,d1,unlimited,7,per_student,usd,2026-07-01,,2027-06-30,students,06-08,"a note, with comma"', // 4 good
      'L4,kahoot,Kahoot,d1,unlimited,2,per_seat,USD,2026-07-01,2027-06-30,,all,,', // 5 cost_basis
      'L5,brainpop,BrainPOP,d1,10,$90,flat,USD,2026-07-01,2027-06-30,,all,,', // 6 cost
      'L6,nearpod,Nearpod,d1,10,90,flat,USD,2026-02-30,2027-06-30,,all,,', // 7 term_start
      'L7,canva,Canva,d1,10,90,flat,USD,2026-07-01,2026-06-30,,all,,', // 8 term_end
      'L1,ixl,IXL,sch-1,5,12,per_seat,USD,2026-07-01,2027-06-30,,students,,', // 9 duplicate id
      'L8,https://www.Typing.com/lessons,Typing,sch-2,30,3,per_seat,USD,2026-07-01,2027-06-30,,students,K-5,', // 10 good
      'L9,ixl,IXL,d1,10,12,flat,USD,2026-07-01,2027-06-30,,everyone,13-05,', // 11 audience + grades
      'L10,ixl,IXL,d1,10,12,flat,USD,2026-07-01,2027-06-30,,students,,,one cell too many', // 12
      'L11,ixl,IXL,d1,"10"x,12,flat,USD,2026-07-01,2027-06-30,,students,,', // 13 stray quote: a bad cell, not a lost file
      'L12,ixl,IXL,sch-3,10,12,flat,USD,2026-07-01,2027-06-30,,students,,', // 14 good
      'L13,ixl,IXL,d1,-5,12,flat,USD,2026-07-01,2027-06-30,,students,,', // 15 negative seats
      'L14,nosuch-app,Nobody,d1,10,1,flat,USD,2026-07-01,2027-06-30,,students,,', // 16 good, app unknown: warning
      'L15,seen-app,Seen,d1,10,1,flat,USD,2026-07-01,2027-06-30,,students,,', // 17 good, not in catalog but used
      'L16,https://es.typingclub.com/x,TypingClub,d1,10,1,flat,USD,2026-07-01,2027-06-30,,students,,', // 18 good, but a catalog domain: warning
    ]);
    // seen-app appears in d1's usage (a daily rollup row), nosuch-app nowhere; both are absent from the catalog.
    await insertRows(ch, 'rollup_district_app_daily_parts', [
      { district_id: 'd1', local_date: '2026-09-14', app_id: 'seen-app', role: 'student' },
      { district_id: 'd2', local_date: '2026-09-14', app_id: 'nosuch-app', role: 'student' },
    ]);
    const r = await importLicenses(ch, 'd1', f);
    const issues = r.issues.map((i) => `${i.line}:${i.field}`).sort();
    expect(issues).toEqual(
      [
        '3:seats',
        '5:cost_basis',
        '6:cost',
        '7:term_start',
        '11:audience',
        '8:term_end',
        '9:license_id',
        '11:grades',
        '12:undefined',
        '13:seats',
        '15:seats',
      ].sort(),
    );
    expect(r.issues.find((i) => i.line === 15)?.message).toContain('-5');
    expect(r.issues.every((i) => i.file === 'licenses.csv' && i.message.length > 0)).toBe(true);
    expect(r).toMatchObject({ accepted: 7, rejected: 10, refused: null });
    expect(r.version).not.toBeNull();
    // No roster is loaded in this database: the school-scoped rows are kept, with a warning each. Rows
    // whose app is neither in the catalog nor in d1's usage (typing.com; nosuch-app, used only in d2)
    // are kept with a warning too.
    expect(r.warnings.map((w) => `${w.line}:${w.field}`).sort()).toEqual(
      ['10:scope', '14:scope', '10:app', '16:app', '18:app'].sort(),
    );
    expect(r.warnings.find((w) => w.line === 16)?.message).toContain('nosuch-app');
    expect(r.warnings.find((w) => w.line === 18)?.message).toContain('typing-club');

    const stored = await currentLicenses(ch, 'd1');
    expect(stored.map((l) => l.license_id).sort()).toEqual(['L1', 'L12', 'L14', 'L15', 'L16', 'L3', 'L8'].sort());
    const byId = (id: string) => stored.find((l) => l.license_id === id);
    const [l1, l3, l8] = [byId('L1'), byId('L3'), byId('L8')];
    expect(byId('L16')?.app_id).toBe('domain:es.typingclub.com');
    expect(l1).toMatchObject({
      app_id: 'ixl',
      school_id: '',
      seats: 100,
      unlimited_seats: 0,
      cost: 12,
      cost_basis: 'per_seat',
    });
    expect(l3).toMatchObject({
      seats: 0,
      unlimited_seats: 1,
      currency: 'USD',
      term_end: '2027-06-30', // no end given: the renewal date
      grades: ['06', '07', '08'],
      notes: 'a note, with comma',
      audience_roles: ['student'],
    });
    expect(l8).toMatchObject({
      app_id: 'domain:typing.com',
      school_id: 'sch-2',
      grades: ['KG', '01', '02', '03', '04', '05'],
    });
  });

  it('replaces the inventory atomically on re-import; the same file twice gives the same inventory', async () => {
    const v1 = file('v1.csv', [
      HEADER,
      'A,ixl,,d1,10,1,flat,USD,2026-07-01,2027-06-30,,students,,',
      'B,quizlet,,d1,10,1,flat,USD,2026-07-01,2027-06-30,,students,,',
    ]);
    const v2 = file('v2.csv', [HEADER, 'C,newsela,,d1,10,1,flat,USD,2026-07-01,2027-06-30,,students,,']);
    const first = await importLicenses(ch, 'd1', v1);
    const firstRows = await currentLicenses(ch, 'd1');
    expect(firstRows.map((l) => l.license_id)).toEqual(['A', 'B']);
    const again = await importLicenses(ch, 'd1', v1);
    expect(again.version).not.toBe(first.version);
    expect(await currentLicenses(ch, 'd1')).toEqual(firstRows);

    await importLicenses(ch, 'd1', v2);
    expect((await currentLicenses(ch, 'd1')).map((l) => l.license_id)).toEqual(['C']);
    // Older versions' rows are gone from the table, not just hidden.
    const versions = await queryRows<{ v: string }>(
      ch,
      `SELECT DISTINCT version AS v FROM licenses WHERE district_id = 'd1'`,
    );
    expect(versions).toHaveLength(1);
    // Another district is not touched.
    await importLicenses(ch, 'd2', v1);
    expect((await currentLicenses(ch, 'd1')).map((l) => l.license_id)).toEqual(['C']);
    expect((await currentLicenses(ch, 'd2')).map((l) => l.license_id)).toEqual(['A', 'B']);
  });

  it('an import that dies before recording its version changes nothing; the next import removes its rows', async () => {
    const before = await currentLicenses(ch, 'd1');
    // Created over an hour ago and never recorded: an import that died (a younger one may still be running).
    const dying = new VersionWriter(
      ch,
      'licenses',
      'd1',
      newVersion(new Date(Date.now() - ABANDONED_AFTER_MS - 60_000)),
    );
    await dying.add({ license_id: 'GHOST', app_id: 'x', term_start: '2026-07-01', term_end: '2027-06-30' });
    await dying.flush(); // rows written, version never recorded (the process "dies" here)
    expect(await currentLicenses(ch, 'd1')).toEqual(before);
    await importLicenses(
      ch,
      'd1',
      file('v3.csv', [HEADER, 'D,ixl,,d1,10,1,flat,USD,2026-07-01,2027-06-30,,students,,']),
    );
    expect((await currentLicenses(ch, 'd1')).map((l) => l.license_id)).toEqual(['D']);
    const ghosts = await queryRows<{ n: string }>(ch, `SELECT count() AS n FROM licenses WHERE license_id = 'GHOST'`);
    expect(Number(ghosts[0]!.n)).toBe(0);
  });

  it("two imports at once never drop each other's rows; the one recorded last is current", async () => {
    const slow = new VersionWriter(ch, 'licenses', 'd3', newVersion());
    await slow.add({ license_id: 'SLOW1', app_id: 'ixl', term_start: '2026-07-01', term_end: '2027-06-30' });
    await slow.add({ license_id: 'SLOW2', app_id: 'quizlet', term_start: '2026-07-01', term_end: '2027-06-30' });
    await slow.flush(); // still running: rows written, version not yet recorded
    await importLicenses(
      ch,
      'd3',
      file('fast.csv', [HEADER, 'FAST,ixl,,d3,10,1,flat,USD,2026-07-01,2027-06-30,,students,,']),
    );
    expect((await currentLicenses(ch, 'd3')).map((l) => l.license_id)).toEqual(['FAST']);
    await slow.commit({ sourceFile: 'slow.csv', rejectedRows: 0 });
    expect((await currentLicenses(ch, 'd3')).map((l) => l.license_id)).toEqual(['SLOW1', 'SLOW2']);
  });

  it('refuses a file without a required column or without any valid row, keeping the current inventory', async () => {
    const before = await currentLicenses(ch, 'd1');
    const noSeats = await importLicenses(
      ch,
      'd1',
      file('noseats.csv', ['appId,orgSourcedId,contractCost,currency,contractStartDate', 'ixl,d1,1,USD,2026-07-01']),
    );
    expect(noSeats.refused).toMatch(/seats/);
    expect(noSeats.issues[0]).toMatchObject({ line: 1 });
    const allBad = await importLicenses(
      ch,
      'd1',
      file('allbad.csv', [HEADER, 'E,ixl,,d1,-3,1,flat,USD,2026-07-01,2027-06-30,,students,,']),
    );
    expect(allBad.refused).toMatch(/no valid row/);
    expect(allBad.issues.map((i) => `${i.line}:${i.field}`)).toEqual(['2:seats']);
    expect(await currentLicenses(ch, 'd1')).toEqual(before);
    const rows = await queryRows<{ n: string }>(ch, `SELECT count() AS n FROM licenses WHERE license_id = 'E'`);
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it("reads the generator's earlier licenses.csv columns: cost for the term, term ending at renewal", async () => {
    const f = file('old.csv', [
      'appId,orgSourcedId,seatsPurchased,contractCost,currency,contractStartDate,renewalDate',
      'ixl,d4,90,1080,USD,2026-07-01,2027-06-30',
      'typing-club,sch-1,60,180,USD,2026-07-01,2027-01-14',
    ]);
    expect(await importLicenses(ch, 'd4', f)).toMatchObject({ accepted: 2, rejected: 0 });
    const stored = await currentLicenses(ch, 'd4');
    expect(
      stored.map((l) => [l.license_id, l.school_id, l.seats, l.cost, l.cost_basis, l.term_end, l.audience]),
    ).toEqual([
      ['ixl:d4:students:2026-07-01', '', 90, 1080, 'flat', '2027-06-30', 'students'],
      ['typing-club:sch-1:students:2026-07-01', 'sch-1', 60, 180, 'flat', '2027-01-14', 'students'],
    ]);
  });

  it('a day a ClickHouse Date cannot store is a row error; the rows beside it are imported', async () => {
    const f = file('perpetual.csv', [
      HEADER,
      'P1,ixl,,d5,10,1,flat,USD,2026-07-01,9999-12-31,,students,,', // 2: a perpetual license's usual export
      'P2,quizlet,,d5,10,1,flat,USD,1970-01-01,2027-06-30,,students,,', // 3: day 0 reads back as 0000-00-00
      'P3,newsela,,d5,10,1,flat,USD,2026-07-01,,2106-01-01,students,,', // 4: the renewal date becomes the term end
      'P4,kahoot,,d5,10,1,flat,USD,1970-01-02,2105-12-31,2105-12-31,students,,', // 5: the first and last days stored
      'P5,canva,,d5,10,1,flat,USD,2026-07-01,2027-06-30,,students,,', // 6
    ]);
    const r = await importLicenses(ch, 'd5', f);
    const last = '2105-12-31, the last day a ClickHouse Date column stores: use 2105-12-31 for an open-ended term';
    expect(r.issues.map((i) => `${i.file}:${i.line} ${i.field}: ${i.message}`)).toEqual([
      `perpetual.csv:2 term_end: 9999-12-31 is after ${last}`,
      'perpetual.csv:3 term_start: 1970-01-01 is before 1970-01-02, the first day a ClickHouse Date column stores',
      `perpetual.csv:4 renewal_date: 2106-01-01 is after ${last}`,
    ]);
    expect(r).toMatchObject({ accepted: 2, rejected: 3, refused: null });
    // What is stored reads back as written (no 0000-00-00 for the report, findings and renewal job to trip on).
    const stored = await currentLicenses(ch, 'd5');
    expect(stored.map((l) => [l.license_id, l.term_start, l.term_end, l.renewal_date])).toEqual([
      ['P4', '1970-01-02', '2105-12-31', '2105-12-31'],
      ['P5', '2026-07-01', '2027-06-30', ''],
    ]);
    // DPA dates are stored as text (app_approvals), never as a Date: any calendar day is kept as written.
    const approvals = file('approvals-open.csv', [
      'appId,status,dpaSignedOn,dpaExpiresOn',
      'ixl,approved,2025-07-01,9999-12-31',
    ]);
    expect(await importApprovals(ch, 'd5', approvals)).toMatchObject({ accepted: 1, rejected: 0 });
    expect((await currentApprovals(ch, 'd5')).get('ixl')).toMatchObject({ dpa_expires_on: '9999-12-31' });
  });

  it('imports approvals the same way', async () => {
    const f = file('approvals.csv', [
      'appId,status,dpaSignedOn,dpaExpiresOn,note',
      'ixl,approved,2025-07-01,2027-06-30,',
      'kahoot,Pending,,,waiting',
      'canva,maybe,,,', // 4 status
      'quizlet,approved,2026-07-01,2025-01-01,', // 5 dpa_expires_on
      'www.coolmathgames.com,denied,,,games',
    ]);
    const r = await importApprovals(ch, 'd1', f);
    expect(r.issues.map((i) => `${i.line}:${i.field}`)).toEqual(['4:status', '5:dpa_expires_on']);
    const stored = await currentApprovals(ch, 'd1');
    expect([...stored.keys()]).toEqual(['domain:coolmathgames.com', 'ixl', 'kahoot']);
    expect(stored.get('kahoot')).toMatchObject({ status: 'pending', note: 'waiting' });
    // Licenses are a separate inventory: untouched by an approvals import.
    expect((await currentLicenses(ch, 'd1')).map((l) => l.license_id)).toEqual(['D']);
  });
});
