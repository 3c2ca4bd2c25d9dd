/**
 * Grades are stored as their codes whatever the roster wrote, so that a license's grade band (codes,
 * packages/licenses) and the research tables' grade cells meet the roster's people.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gradeCode, loadRosterDir, rosterGrades } from '../src';

test('grade spellings map to one code; what is no grade is kept as written', () => {
  expect(['K', 'kg', ' KG ', '9', '09', 'pk', '1', '12', '13'].map(gradeCode)).toEqual([
    'KG',
    'KG',
    'KG',
    '09',
    '09',
    'PK',
    '01',
    '12',
    '13',
  ]);
  expect(['14', '0', 'Other', 'UG', ''].map(gradeCode)).toEqual([null, null, null, null, null]);
  // Ed-Fi's GradeLevelDescriptor names (assessment results, Ed-Fi rosters).
  expect(
    ['Fifth grade', 'KINDERGARTEN', 'Twelfth Grade', 'Preschool/Prekindergarten', 'Grade 13'].map(gradeCode),
  ).toEqual(['05', 'KG', '12', 'PK', '13']);
  expect(rosterGrades('9, 10,K,Other')).toEqual(['09', '10', 'KG', 'Other']);
});

test("a OneRoster users.csv's grades `9` and `K` are stored as 09 and KG", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'roster-grades-'));
  try {
    writeFileSync(
      path.join(dir, 'orgs.csv'),
      'sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\nsch1,active,,School,school,,\n',
    );
    writeFileSync(
      path.join(dir, 'users.csv'),
      'sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades\n' +
        'u1,active,,true,sch1,student,a,,A,A,,,,,,,9\n' +
        'u2,active,,true,sch1,student,b,,B,B,,,,,,,K\n' +
        'u3,active,,true,sch1,student,c,,C,C,,,,,,,"10,11"\n',
    );
    const { data } = await loadRosterDir(dir);
    expect(['u1', 'u2', 'u3'].map((id) => data.users.get(id)?.grades)).toEqual([['09'], ['KG'], ['10', '11']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("SDS v2's users.csv grades (`6`) are stored as codes too", async () => {
  const { data } = await loadRosterDir(path.join(__dirname, 'samples', 'sds-v2'));
  // The sample's first students are written with grade 6 (samples/sds-v2/users.csv).
  expect(data.users.get('13001')?.grades).toEqual(['06']);
  const written = [...data.users.values()].flatMap((u) => u.grades);
  expect(written.length).toBeGreaterThan(0);
  // Every grade that spells a code is stored as that code; others (the sample has PS1, undergraduate) as written.
  expect(written.filter((g) => gradeCode(g) !== null && gradeCode(g) !== g)).toEqual([]);
});
