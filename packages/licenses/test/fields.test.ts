/** Field checks of the license and approval imports: a bad value is an issue naming it, never a crash. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importLicenses } from '../src';
import { dateColumnDay, isoDay } from '../src/fields';

test('a day that is no calendar day (month 13, 30 February) is refused, not thrown', () => {
  for (const d of ['2026-13-01', '2026-02-30', '2026-00-10'])
    expect(isoDay.safeParse(d).error?.issues.map((i) => i.message)).toEqual(['not a calendar day']);
  expect(isoDay.safeParse('2028-02-29').success).toBe(true);
});

test('a license day must be one a ClickHouse Date stores (1970-01-02..2105-12-31)', () => {
  for (const d of ['1970-01-02', '2026-07-01', '2105-12-31']) expect(dateColumnDay.safeParse(d).success).toBe(true);
  const messages = (d: string) => dateColumnDay.safeParse(d).error?.issues.map((i) => i.message);
  expect(messages('9999-12-31')).toEqual([
    '9999-12-31 is after 2105-12-31, the last day a ClickHouse Date column stores: use 2105-12-31 for an open-ended term',
  ]);
  expect(messages('2106-01-01')).toHaveLength(1);
  expect(messages('1970-01-01')).toEqual([
    '1970-01-01 is before 1970-01-02, the first day a ClickHouse Date column stores',
  ]);
  expect(messages('0000-01-01')).toHaveLength(1);
  // A day that is no calendar day is reported once, as before.
  expect(messages('9999-02-30')).toEqual(['not a calendar day']);
});

test('a license row with month 13 is rejected with its field; the rows beside it are kept', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-fields-'));
  try {
    const file = path.join(dir, 'licenses.csv');
    writeFileSync(
      file,
      [
        'appId,orgSourcedId,seatsPurchased,contractCost,currency,contractStartDate,contractEndDate,audience',
        'ixl,d1,10,100,USD,2025-07-01,2026-06-30,students',
        'kahoot,d1,10,100,USD,2025-13-01,2026-06-30,students',
        'quizlet,d1,10,100,USD,2025-07-01,2026-06-30,students',
      ].join('\n') + '\n',
    );
    const r = await importLicenses(null, 'd1', file);
    expect(r).toMatchObject({ accepted: 2, rejected: 1 });
    expect(r.issues.map((i) => `${i.line} ${i.field}`)).toEqual(['3 term_start']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
