/**
 * License metrics end to end: a generated district goes through the real pipeline (HTTP, file import,
 * enrich, aggregate), its licenses.csv and approvals.csv through the `licenses` / `approvals` CLIs,
 * and every figure of `licenses report --format json` equals what support/license-reference.ts
 * computes from the generator's truth, for the whole sample and for a one-day window, before and after
 * a rollup compaction (after it, the figures come from the stored counts where they can).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { LicenseReport } from '@edusage/licenses';
import { compactRollups, readCompactionState } from '@edusage/rollups';
import { sendSampleEvents } from '../src/pipeline';
import { REPO_ROOT } from '../src/services';
import { DISTRICT, PSEUDONYM_KEY, setupE2E, type E2E } from './support/e2e';
import { buildLicenseReference, type LicenseExpectation } from './support/license-reference';

jest.setTimeout(300_000);
const run = promisify(execFile);

describe('license metrics equal an independent reference', () => {
  let e2e: E2E;
  const cli = async (bin: 'licenses' | 'approvals', args: string[]): Promise<string> => {
    const file = path.join(REPO_ROOT, 'packages', 'licenses', 'dist', `cli-${bin}.js`);
    const { stdout } = await run(process.execPath, [file, ...args], { env: { ...process.env, ...e2e.serviceEnv } });
    return stdout;
  };
  const report = async (from: string, to: string): Promise<LicenseReport> =>
    JSON.parse(
      await cli('licenses', [
        'report',
        '--district',
        DISTRICT,
        '--window',
        `${from}..${to}`,
        '--as-of',
        to,
        '--format',
        'json',
      ]),
    ) as LicenseReport;

  beforeAll(async () => {
    e2e = await setupE2E('e2e_licenses');
    await sendSampleEvents(e2e.pipeline, DISTRICT, e2e.files, e2e.keys);
    await e2e.drain();
    await e2e.pipeline.stopAll();
    const imported = await cli('licenses', ['import', '--district', DISTRICT, e2e.files.licenses]);
    expect(imported).toMatch(/0 rejected/);
    expect(imported).not.toMatch(/warning/); // the school-scoped licenses name schools of the roster
    expect(await cli('approvals', ['import', '--district', DISTRICT, e2e.files.approvals])).toMatch(/0 rejected/);
  });
  afterAll(async () => {
    await e2e?.teardown();
  });

  const close = (actual: number | null, expected: number | null) => {
    if (expected === null) expect(actual).toBeNull();
    else expect(actual).toBeCloseTo(expected, 6);
  };

  function expectLicense(r: LicenseReport, e: LicenseExpectation) {
    const m = r.licenses.find((x) => x.license.license_id === e.license_id);
    expect(m).toBeDefined();
    expect({
      id: e.license_id,
      eligible: m!.eligible,
      active: m!.active,
      seats: m!.seats,
      unused: m!.unused_seats,
    }).toEqual({
      id: e.license_id,
      eligible: e.eligible,
      active: e.active,
      seats: e.seats,
      unused: e.unused_seats,
    });
    close(m!.engaged_hours, e.engaged_seconds / 3600);
    close(m!.total_cost, e.total_cost);
    close(m!.utilization, e.utilization);
    close(m!.reach, e.reach);
    close(m!.idle_cost, e.idle_cost);
    close(m!.cost_per_active_user, e.cost_per_active_user);
    close(m!.cost_per_engaged_hour, e.cost_per_engaged_hour);
    close(m!.epi, e.epi);
    const schools = new Map(
      r.schools
        .filter((s) => s.license_id === e.license_id)
        .map((s) => [s.school_id, { eligible: s.eligible, active: s.active }]),
    );
    expect([...schools].sort()).toEqual([...e.schools].sort());
    const weeks = new Map(r.trend.filter((t) => t.license_id === e.license_id).map((t) => [t.week, t.active]));
    expect([...weeks].sort()).toEqual([...e.weeks].sort());
    expect(r.never_used.includes(e.license_id)).toBe(e.never_used);
    expect([...m!.flags].sort()).toEqual(e.flags);
  }

  const cases = [
    ['the whole sample', 'as folded'],
    ['one day', 'as folded'],
    ['the whole sample', 'compacted'],
    ['one day', 'compacted'],
  ] as const;
  for (const [which, stage] of cases) {
    it(`every license figure and list over ${which}, ${stage}`, async () => {
      if (stage === 'compacted' && (await readCompactionState(e2e.ch)).months.size === 0) {
        // As the jobs service does every hour: the report then takes what it can from the stored
        // counts (@edusage/rollups counts.ts) and merges the rest.
        expect((await compactRollups(e2e.ch)).some((m) => m.generation !== null)).toBe(true);
      }
      const days = e2e.sample.days.map((d) => d.date);
      const w = which === 'one day' ? { from: days[1]!, to: days[1]! } : { from: days[0]!, to: days[days.length - 1]! };
      const ref = buildLicenseReference(e2e.sample, PSEUDONYM_KEY, w);
      // The sample exercises each case (else this test could pass by having nothing to compare).
      const l = (id: string) => ref.licenses.get(id)!;
      expect(l('lic-ixl').active).toBeGreaterThan(0);
      expect(l('lic-newsela').seats).toBeNull();
      expect(l('lic-newsela').active).toBeGreaterThan(0);
      expect(l('lic-nearpod').never_used).toBe(true);
      // kahoot's contract ended before the sample: not in force, no figures, used after its end.
      expect(ref.notInForce.get('lic-kahoot')).toBe('ended');
      expect(ref.expiredButUsed.get('lic-kahoot')).toBeGreaterThan(0);
      expect(l('lic-typing-club-sch-1').active).toBeGreaterThan(0);
      expect(ref.unlicensed.get('google-docs')).toBeGreaterThan(0);
      expect(ref.unapproved.get('ixl')).toBe('dpa_expired');
      expect(ref.unapproved.get('kahoot')).toBe('pending');
      const flagged = new Set([...ref.licenses.values()].flatMap((x) => x.flags));
      expect(flagged.has('too_many_licenses')).toBe(true);
      expect(flagged.has('expensive_underused')).toBe(true);

      const r = await report(w.from, w.to);
      expect(r.licenses.map((m) => m.license.license_id).sort()).toEqual([...ref.licenses.keys()].sort());
      for (const e of ref.licenses.values()) expectLicense(r, e);
      expect(new Map(r.not_in_force.map((n) => [n.license_id, n.reason]))).toEqual(ref.notInForce);
      expect(new Map(r.expired_but_used.map((x) => [x.license_id, x.active]))).toEqual(ref.expiredButUsed);
      const [usd] = r.district;
      close(usd!.epi, ref.districtEpi);
      close(usd!.idle_cost, ref.districtIdle);
      expect(new Map(r.unlicensed.map((u) => [u.app_id, u.active]))).toEqual(ref.unlicensed);
      expect(
        new Map(r.unapproved.map((u) => [u.app_id, u.reason === 'dpa_expired' ? 'dpa_expired' : u.status])),
      ).toEqual(ref.unapproved);
    });
  }

  it('prints the table and the CSV', async () => {
    const days = e2e.sample.days.map((d) => d.date);
    const args = ['report', '--district', DISTRICT, '--window', '7d', '--as-of', days[days.length - 1]!];
    const table = await cli('licenses', args);
    // Apps by the names the district's imported catalog gives them (the sample's apps.json), schools by
    // the roster's names.
    const kahoot = e2e.sample.apps.find((a) => a.app_id === 'kahoot')!.name;
    expect(kahoot).not.toBe('kahoot');
    expect(table).toContain(`Apps in use not approved or with an expired DPA:\n`);
    expect(table).toMatch(new RegExp(`\\n {2}${kahoot.replace(/[!.]/g, '\\$&')}: pending, \\d+ active \\(`));
    expect(table).toMatch(/Licenses expired but still used:\n {2}lic-kahoot \(ended /);
    const school = e2e.sample.roster.orgs.find((o) => o.type === 'school')!;
    expect(table).toContain(school.name);
    const csv = (await cli('licenses', [...args, '--format', 'csv'])).trim().split('\n');
    expect(csv[0]).toMatch(/^license_id,app_id,scope,seats,eligible,active,utilization,reach/);
    // One row per license in force in the 7 days to the last day.
    const asOf = days[days.length - 1]!;
    const weekStart = new Date(Date.parse(`${asOf}T00:00:00Z`) - 6 * 86_400_000).toISOString().slice(0, 10);
    const inForce = e2e.sample.licenses.filter((l) => l.contractStartDate <= asOf && l.contractEndDate >= weekStart);
    expect(csv).toHaveLength(1 + inForce.length);
    // Thresholds are configurable: with highCost 0 and lowUse 1, every license used below its seats is flagged.
    const json = JSON.parse(
      await cli('licenses', [...args, '--format', 'json', '--threshold', 'highCost=0', '--threshold', 'lowUse=1']),
    ) as LicenseReport;
    for (const m of json.licenses) expect(m.flags.includes('high_cost_low_use')).toBe(m.used_share < 1);
    expect(json.licenses.some((m) => m.flags.includes('high_cost_low_use'))).toBe(true);
  });
});
