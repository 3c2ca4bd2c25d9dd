/**
 * The default license id (a row without licenseId): app, scope, audience and term start, so a
 * district's contracts of one app for two audiences or two terms are different licenses, not a
 * repeated id. Checked on parseLicense and on `licenses check` (importLicenses without a database).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importLicenses, parseLicense } from '../src';

const HEADER = 'appId,orgSourcedId,seatsPurchased,contractCost,currency,contractStartDate,contractEndDate,audience';

const row = (line: string) => new Map(HEADER.split(',').map((k, i) => [k, line.split(',')[i] ?? '']));
const COLUMN = new Map([
  ['appId', 'app'],
  ['orgSourcedId', 'scope'],
  ['seatsPurchased', 'seats'],
  ['contractCost', 'cost'],
  ['contractStartDate', 'term_start'],
  ['contractEndDate', 'term_end'],
]);
/** A CSV line as parseLicense's fields. */
const fields = (line: string) => new Map([...row(line)].map(([k, v]) => [COLUMN.get(k) ?? k, v]));

const idOf = (line: string) => {
  const r = parseLicense(fields(line), 'd1');
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.license.license_id;
};

test('the default id is app, scope, audience and term start; a given licenseId is kept', () => {
  expect(idOf('ixl,d1,10,100,USD,2025-07-01,2026-06-30,students')).toBe('ixl:d1:students:2025-07-01');
  expect(idOf('ixl,d1,10,100,USD,2025-07-01,2026-06-30,')).toBe('ixl:d1:students:2025-07-01'); // default audience
  expect(idOf('ixl,d1,10,100,USD,2025-07-01,2026-06-30,teachers')).toBe('ixl:d1:teachers:2025-07-01');
  expect(idOf('ixl,sch-1,10,100,USD,2026-07-01,2027-06-30,all')).toBe('ixl:sch-1:all:2026-07-01');
  const given = parseLicense(
    new Map([...fields('ixl,d1,10,100,USD,2025-07-01,2026-06-30,'), ['license_id', ' IXL-1 ']]),
    'd1',
  );
  expect(given.ok && given.license.license_id).toBe('IXL-1');
});

test('rows without licenseId for two audiences and two terms of one app are all accepted', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-ids-'));
  try {
    const file = path.join(dir, 'licenses.csv');
    writeFileSync(
      file,
      [
        HEADER,
        'ixl,d1,10,100,USD,2025-07-01,2026-06-30,students',
        'ixl,d1,10,100,USD,2025-07-01,2026-06-30,teachers',
        'ixl,d1,10,100,USD,2026-07-01,2027-06-30,students',
        'ixl,d1,10,100,USD,2026-07-01,2027-06-30,students', // the same contract twice: still refused
      ].join('\n') + '\n',
    );
    const r = await importLicenses(null, 'd1', file);
    expect(r).toMatchObject({ accepted: 3, rejected: 1 });
    expect(r.issues.map((i) => `${i.line} ${i.field}: ${i.message}`)).toEqual([
      '5 license_id: ixl:d1:students:2026-07-01 already given on line 4',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
