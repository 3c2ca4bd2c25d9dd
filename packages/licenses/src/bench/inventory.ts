/**
 * The benchmark district's license inventory (one license per app: 30 district-wide, 10 for one
 * school each, a few for teachers or a grade band, seats from under- to over-bought) and approvals,
 * imported through the real import.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClickHouseClient } from '@edusage/clickhouse';
import { importApprovals, importLicenses } from '../import';
import { SHAPE, type DistrictShape } from './shape';

const LICENSE_HEADER =
  'licenseId,appId,vendor,orgSourcedId,seatsPurchased,contractCost,costBasis,currency,contractStartDate,contractEndDate,renewalDate,audience,grades';

/** Seats as a share of the students in scope: from a tenth (over-used) to all of them (mostly idle). */
const SEAT_SHARES = [1, 0.6, 0.3, 0.1, 0.8, 0.45];

function licenseLines(shape: DistrictShape = SHAPE): string[] {
  const perSchool = shape.students / shape.schools;
  const lines: string[] = [];
  for (let a = 0; a < shape.apps; a++) {
    const schoolScoped = a >= 30;
    const scope = schoolScoped ? `sch-${(a - 30) * 5}` : shape.districtId;
    const audience = a % 10 === 9 ? 'teachers' : 'students';
    const grades = a % 7 === 5 ? '06-08' : '';
    const inScope = audience === 'teachers' ? shape.teachers : schoolScoped ? perSchool : shape.students;
    const seats = a % 13 === 12 ? 'unlimited' : String(Math.max(10, Math.round(inScope * SEAT_SHARES[a % 6]!)));
    const perSeat = a % 3 === 0 && seats !== 'unlimited';
    const cost = perSeat ? String(3 + (a % 9)) : String(2000 + 1500 * a);
    // Renewals spread over the spring and summer, some within the alert thresholds of the as-of date.
    const renewal = `2026-0${4 + (a % 4)}-${String(1 + ((a * 7) % 28)).padStart(2, '0')}`;
    lines.push(
      [
        `LIC-${a}`,
        `app-${a}`,
        `Vendor ${a % 17}`,
        scope,
        seats,
        cost,
        perSeat ? 'per_seat' : 'flat',
        'USD',
        '2025-07-01',
        '2026-06-30',
        renewal,
        audience,
        grades,
      ].join(','),
    );
  }
  return lines;
}

function approvalLines(shape: DistrictShape = SHAPE): string[] {
  const lines = ['appId,status,dpaSignedOn,dpaExpiresOn'];
  for (let a = 0; a < shape.apps; a++) {
    const status = a % 8 === 7 ? 'pending' : 'approved';
    lines.push(`app-${a},${status},2024-07-01,${a % 11 === 10 ? '2025-12-31' : '2027-06-30'}`);
  }
  return lines;
}

export async function importInventory(ch: ClickHouseClient, shape: DistrictShape = SHAPE): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-bench-licenses-'));
  try {
    const licenses = path.join(dir, 'licenses.csv');
    const approvals = path.join(dir, 'approvals.csv');
    writeFileSync(licenses, [LICENSE_HEADER, ...licenseLines(shape)].join('\n') + '\n');
    writeFileSync(approvals, approvalLines(shape).join('\n') + '\n');
    for (const r of [
      await importLicenses(ch, shape.districtId, licenses),
      await importApprovals(ch, shape.districtId, approvals),
    ]) {
      if (r.refused || r.rejected > 0) throw new Error(`bench inventory not imported: ${JSON.stringify(r.issues)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
