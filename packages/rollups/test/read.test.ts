import { asOfCompactions, newerRows, rollupRows, type CompactionState, type NewerMonths } from '../src';

// Two compacted months; SQL is built, nothing is run (the reads themselves: compaction.test.ts).
const marks = [{ topic: 'usage.enriched', partition: 0, offset: '500' }];
const state: CompactionState = {
  months: new Map([
    [202609, { month: 202609, generation: '11', marks, compactedAt: '2026-10-01 00:00:00' }],
    [202610, { month: 202610, generation: '12', marks, compactedAt: '2026-11-01 00:00:00' }],
  ]),
};
const window = { districtId: 'd1', from: '2026-09-01', to: '2026-10-31' };
const octoberOnly: NewerMonths = { state, window, months: new Set([202610]) };
const newerParts = (sql: string) => sql.split('UNION ALL').filter((part) => part.includes('_parts FINAL'));
const newerReads = (sql: string) => newerParts(sql).length;

test('newerMonths: only the named months read their newer contributions', () => {
  expect(newerReads(rollupRows(state, 'school', window))).toBe(2);
  const sql = rollupRows(state, 'school', window, { newerMonths: octoberOnly });
  expect(newerParts(sql)).toHaveLength(1);
  expect(newerParts(sql)[0]).toContain("toDate('2026-10-01')");
  // A window inside the one looked up is fine.
  expect(newerReads(rollupRows(state, 'school', { ...window, from: '2026-10-05' }, { newerMonths: octoberOnly }))).toBe(
    1,
  );
});

test('newerMonths: refused for another state, a wider window or another district', () => {
  const other: CompactionState = { months: new Map(state.months) };
  expect(() => rollupRows(other, 'school', window, { newerMonths: octoberOnly })).toThrow(/newerMonths/);
  expect(() => rollupRows(state, 'school', { ...window, to: '2026-11-03' }, { newerMonths: octoberOnly })).toThrow(
    /newerMonths/,
  );
  expect(() => rollupRows(state, 'school', { ...window, districtId: 'd2' }, { newerMonths: octoberOnly })).toThrow(
    /newerMonths/,
  );
});

test('as of the compactions: no newer contribution is read, and asking for them is refused', () => {
  const asOf = asOfCompactions(state);
  const sql = rollupRows(asOf, 'class', window);
  expect(newerReads(sql)).toBe(0);
  expect(sql).toContain('generation = 11');
  expect(sql).toContain('generation = 12');
  // The state it came from is unchanged: its reads still take the newer contributions.
  expect(newerReads(rollupRows(state, 'class', window))).toBe(2);
  const october = { ...window, from: '2026-10-01' };
  expect(() => newerRows(asOf, 'class', october)).toThrow(/as of the compactions/);
  expect(newerRows(state, 'class', october)).toContain('range_start >=');
});
