/**
 * An import's commit on the real ClickHouse (the suite's own database) when a step after recording the
 * version fails: the new version stays current (never emptied by abandoning it), a failed clean-up of
 * older versions is a warning, and the district's next import drops what was left.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClickHouse, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { currentLicenses, formatImportResult, importLicenses } from '../src';

jest.setTimeout(120_000);

const HEADER = 'licenseId,appId,orgSourcedId,seatsPurchased,contractCost,currency,contractStartDate,contractEndDate';
/** A district-wide license row of `district`. */
const row = (id: string, district: string) => `${id},ixl,${district},10,1,USD,2026-07-01,2027-06-30`;
const FAILED = 'Code: 999, e.displayText() = DB::Exception: failed by the test';

/** Which statement of the commit the wrapped client fails. */
type Failing = 'drop' | 'lookup' | 'record-after-storing';

/**
 * The real client, except that it fails the first statement of one step of the commit (a passing
 * fault: what follows it succeeds): the DROP PARTITION of an older version, the look-up of the versions
 * to drop, or the INSERT recording the version (after ClickHouse stored it, as when the connection
 * drops before the answer).
 */
function failing(client: ClickHouseClient, step: Failing): ClickHouseClient {
  let failed = false;
  const failOnce = (matches: boolean) => {
    if (!matches || failed) return;
    failed = true;
    throw new Error(FAILED);
  };
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'command' && step === 'drop')
        return async (params: Parameters<ClickHouseClient['command']>[0]) => {
          failOnce(/DROP PARTITION/i.test(params.query));
          return target.command(params);
        };
      if (prop === 'query' && step === 'lookup')
        return async (params: Parameters<ClickHouseClient['query']>[0]) => {
          failOnce(/FROM license_import_versions/i.test(params.query));
          return target.query(params);
        };
      if (prop === 'insert' && step === 'record-after-storing')
        return async (params: Parameters<ClickHouseClient['insert']>[0]) => {
          const result = await target.insert(params);
          failOnce(/license_import_versions/.test(params.table));
          return result;
        };
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('license import: a failure after the version is recorded', () => {
  let env: TestEnv;
  let ch: ClickHouseClient;
  let dir: string;
  const file = (name: string, lines: string[]) => {
    const p = path.join(dir, name);
    writeFileSync(p, [HEADER, ...lines].join('\n') + '\n');
    return p;
  };
  const ids = async (district: string) => (await currentLicenses(ch, district)).map((l) => l.license_id);
  const versionsStored = async (district: string) =>
    (
      await queryRows<{ version: string }>(
        ch,
        `SELECT DISTINCT version FROM licenses WHERE district_id = '${district}' ORDER BY version`,
      )
    ).map((r) => r.version);

  beforeAll(async () => {
    env = await createTestEnv('licenses_import_cleanup', { kafka: false });
    ch = createClickHouse(env.config);
    dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-licenses-cleanup-'));
  });
  afterAll(async () => {
    await ch?.close();
    await env?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['drop', 'lookup'] as const)(
    'a failed clean-up (%s) is a warning: the new inventory is current, the next import drops the old rows',
    async (step) => {
      const district = `d-${step}`;
      const old = await importLicenses(ch, district, file('old.csv', [row('OLD', district)]));
      const r = await importLicenses(
        failing(ch, step),
        district,
        file('new.csv', [row('NEW1', district), row('NEW2', district)]),
      ).catch((err: Error) => err);
      // The new inventory is current, with its rows (not a version emptied by abandoning it).
      expect(await ids(district)).toEqual(['NEW1', 'NEW2']);
      expect(r).toMatchObject({ accepted: 2, rejected: 0, refused: null });
      if (r instanceof Error) return; // for the type; reported above
      expect(r.warnings).toEqual([
        {
          file: 'new.csv',
          line: 0,
          message: `older versions were not all dropped (${FAILED}); the next import drops them`,
        },
      ]);
      expect(formatImportResult(r)).toContain(`new.csv:0: warning: older versions were not all dropped`);
      expect(await versionsStored(district)).toEqual([old.version, r.version].sort());

      const next = await importLicenses(ch, district, file('next.csv', [row('NEXT', district)]));
      expect(next.warnings).toEqual([]);
      expect(await ids(district)).toEqual(['NEXT']);
      expect(await versionsStored(district)).toEqual([next.version]);
    },
  );

  it('a version recorded by an INSERT that then reported an error is kept, never abandoned', async () => {
    const district = 'd-record';
    await importLicenses(ch, district, file('old.csv', [row('OLD', district)]));
    await expect(
      importLicenses(failing(ch, 'record-after-storing'), district, file('new.csv', [row('NEW', district)])),
    ).rejects.toThrow(FAILED);
    // ClickHouse stored the record, so the new version is current: its rows must still be there.
    expect(await ids(district)).toEqual(['NEW']);
    const next = await importLicenses(ch, district, file('next.csv', [row('NEXT', district)]));
    expect(await ids(district)).toEqual(['NEXT']);
    expect(await versionsStored(district)).toEqual([next.version]);
  });
});
