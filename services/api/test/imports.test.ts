/**
 * /v1/imports: roster, license and approval imports newest first over all kinds, `limit` rows in all
 * (not `limit` per list). District dI's imports are written here, interleaved in time.
 */
import { insertRows } from '@edusage/clickhouse';
import { startHarness, type Harness } from './harness';

let h: Harness;
let token: string;
beforeAll(async () => {
  h = await startHarness('api_imports');
  token = (await h.api.tokens.create({ districtId: 'dI', role: 'admin', name: 'imports test' })).token;
  const at = (day: string) => ({ imported_ms: Date.parse(`${day}T08:00:00Z`), imported_at: `${day} 08:00:00` });
  await insertRows(
    h.ch,
    'dim_roster_versions',
    ['2026-09-01', '2026-09-05', '2026-09-10'].map((day, i) => ({
      district_id: 'dI',
      roster_version: `r-${i + 1}`,
      ...at(day),
      oneroster_version: '1.1',
      orgs: 1,
      classes: 1,
      people: 10 + i,
      enrollments: 0,
    })),
  );
  const inventory = (kind: string, days: string[]) =>
    days.map((day, i) => ({
      district_id: 'dI',
      kind,
      version: `${kind[0]}-${i + 1}`,
      ...at(day),
      source_file: `${kind}-${i + 1}.csv`,
      accepted_rows: 5,
      rejected_rows: 0,
    }));
  await insertRows(h.ch, 'license_import_versions', [
    ...inventory('licenses', ['2026-09-02', '2026-09-06', '2026-09-11']),
    ...inventory('approvals', ['2026-09-03', '2026-09-07', '2026-09-12']),
  ]);
}, 180_000);
afterAll(async () => h?.close());

type ImportRow = { kind: string; version: string; imported_at: string; current: boolean };
const imports = async (limit: string) => {
  const res = await h.get(`/v1/imports?limit=${limit}`, token);
  expect(res.status).toBe(200);
  return (res.json as { rows: ImportRow[] }).rows.map((r) => [r.version, r.imported_at.slice(0, 10), r.current]);
};

test('limit cuts the newest imports of all kinds together, newest first', async () => {
  expect(await imports('4')).toEqual([
    ['a-3', '2026-09-12', true],
    ['l-3', '2026-09-11', true],
    ['r-3', '2026-09-10', true],
    ['a-2', '2026-09-07', false],
  ]);
  expect(await imports('1')).toEqual([['a-3', '2026-09-12', true]]);
});

test('with room for all, every import newest first', async () => {
  expect(await imports('100')).toEqual([
    ['a-3', '2026-09-12', true],
    ['l-3', '2026-09-11', true],
    ['r-3', '2026-09-10', true],
    ['a-2', '2026-09-07', false],
    ['l-2', '2026-09-06', false],
    ['r-2', '2026-09-05', false],
    ['a-1', '2026-09-03', false],
    ['l-1', '2026-09-02', false],
    ['r-1', '2026-09-01', false],
  ]);
});
