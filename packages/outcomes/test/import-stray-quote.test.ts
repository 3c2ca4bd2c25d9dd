/**
 * A results file with a stray quote: the line is rejected (and counted, so the command exits 2), the
 * results behind it are read. Checked without ClickHouse (`--check`): what is read, not how it is stored.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importAssessments, RosterMatcher } from '../src';
import { rosterOf, student } from './support/roster';

test('a line whose quote never closes is rejected alone; the rows after it are read', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'outcomes-quote-'));
  try {
    const file = path.join(dir, 'results.csv');
    writeFileSync(
      file,
      [
        'id,score,date',
        's1,250,2025-09-01',
        's2,"251,2025-09-01', // 3: the quote never closes
        's3,252,2025-09-01',
        's4,253,2025-09-01',
      ].join('\n') + '\n',
    );
    const roster = rosterOf(['s1', 's2', 's3', 's4'].map((id) => student(id)));
    const s = await importAssessments({
      districtId: 'd1',
      file,
      preset: 'generic',
      mapping: {
        columns: { studentId: 'id', score: 'score', testDate: 'date' },
        constants: { assessment: 'district_benchmark', subject: 'math' },
        scale: { min: 100, max: 350 },
      },
      matcher: new RosterMatcher('d1', roster, 'outcomes-test-pseudonym-key-0123'),
      ch: null,
    });
    expect(s).toMatchObject({ rows: 3, stored: 3, rejected: 1, refused: null });
    expect(s.issues.map((i) => `${i.file}:${i.line} ${i.message}`)).toEqual([
      'results.csv:3 a quote opened on this line is not closed on it: the line is rejected and the lines after it read again',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
