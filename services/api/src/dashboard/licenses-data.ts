import { currentApprovals } from '@edusage/licenses';
import type { ApiDeps } from '../endpoint';
import type { LicenseRow } from '../endpoints/licenses';
import type { Principal } from '../tokens';
import { rowsOf } from './data';
import type { Period } from './period';

export type { LicenseRow };

/** /v1/licenses over exactly the page's period (window `from..to`, as_of `to`). */
export const licensesOver = (deps: ApiDeps, principal: Principal, p: Period) =>
  rowsOf<LicenseRow>(deps, principal, '/v1/licenses', {
    window: `${p.from}..${p.to}`,
    as_of: p.to,
    freshness: p.freshness,
  });

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
