import { currentApprovals } from '@edusage/licenses';
import type { ApiDeps } from '../endpoint';
import type { Principal } from '../tokens';
import { rowsOf } from './data';
import type { Period } from './period';

/** A row of /v1/licenses (the fields the dashboard shows). */
export interface LicenseRow {
  license_id: string;
  app_id: string;
  vendor: string;
  school_id: string;
  currency: string;
  term_start: string;
  term_end: string;
  seats: number | null;
  eligible: number;
  active: number;
  engaged_hours: number;
  utilization: number | null;
  reach: number | null;
  unused_seats: number | null;
  total_cost: number;
  idle_cost: number;
  cost_per_active_user: number | null;
  epi: number | null;
  flags: string[];
}

/** /v1/licenses over exactly the page's period (window `from..to`, as_of `to`). */
export const licensesOver = (deps: ApiDeps, principal: Principal, p: Period) =>
  rowsOf<LicenseRow>(deps, principal, '/v1/licenses', { window: `${p.from}..${p.to}`, as_of: p.to });

/**
 * Review status per app as the license report judges it at the period's end: the approvals import's
 * status (not reviewed when absent), and an approved app whose DPA expired by then is not approved.
 */
export async function approvalStatus(
  deps: ApiDeps,
  principal: Principal,
  periodEnd: string,
): Promise<(appId: string) => { label: string; approved: boolean }> {
  const approvals = await currentApprovals(deps.ch, principal.district_id);
  return (appId) => {
    const a = approvals.get(appId);
    const status = (a?.status ?? 'not_reviewed').replace('_', ' ');
    if (a?.status !== 'approved') return { label: status, approved: false };
    if (a.dpa_expires_on !== '' && a.dpa_expires_on < periodEnd)
      return { label: `approved, DPA expired ${a.dpa_expires_on}`, approved: false };
    return { label: 'approved', approved: true };
  };
}
