import type { ClickHouseClient } from '@edusage/clickhouse';
import { currentLicenses, licenseCounts, totalCost } from '@edusage/licenses';

export interface AppCost {
  currency: string;
  /** Σ total cost of the app's licenses whose term overlaps the window (whole terms, not prorated). */
  totalCost: number;
  licenses: number;
}

/** The app's license cost in the window from the inventory, or null when the district has no license for it. */
export async function appCost(
  ch: ClickHouseClient,
  districtId: string,
  app: string,
  from: string,
  to: string,
): Promise<AppCost | null | string> {
  const licenses = (await currentLicenses(ch, districtId)).filter(
    (l) => l.app_id === app && l.term_start <= to && l.term_end >= from,
  );
  if (licenses.length === 0) return null;
  const currencies = new Set(licenses.map((l) => l.currency));
  if (currencies.size > 1) return `the licenses of ${app} are in several currencies (${[...currencies].join(', ')})`;
  const counts = await licenseCounts(ch, { districtId, from, to });
  const total = licenses.reduce((sum, l) => sum + totalCost(l, counts.get(l.license_id)?.students ?? 0), 0);
  return { currency: licenses[0]!.currency, totalCost: total, licenses: licenses.length };
}

export interface CostPerStudent {
  currency: string;
  totalCost: number;
  perActiveStudent: number | null;
  perStudentAtGoal: number | null;
}

export function costPerStudent(cost: AppCost, active: number, atGoal: number): CostPerStudent {
  return {
    currency: cost.currency,
    totalCost: cost.totalCost,
    perActiveStudent: active > 0 ? cost.totalCost / active : null,
    perStudentAtGoal: atGoal > 0 ? cost.totalCost / atGoal : null,
  };
}
