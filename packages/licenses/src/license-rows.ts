import { z } from 'zod';
import type { ColumnSpec } from './csv-records';
import { appKey, dateColumnDay, fieldIssues, gradeBand, optional } from './fields';

/**
 * License CSV columns (packages/licenses/README.md): canonical field → accepted header names. The
 * generator's licenses.csv names (appId, orgSourcedId, seatsPurchased, contractCost, …) come first.
 */
export const LICENSE_COLUMNS = {
  license_id: ['licenseId', 'license_id', 'id'],
  app: ['appId', 'app', 'app_id', 'domain'],
  vendor: ['vendor'],
  scope: ['orgSourcedId', 'scope', 'school_id', 'schoolSourcedId'],
  seats: ['seatsPurchased', 'seats'],
  cost: ['contractCost', 'cost'],
  cost_basis: ['costBasis', 'cost_basis', 'basis'],
  currency: ['currency'],
  term_start: ['contractStartDate', 'termStart', 'term_start', 'startDate'],
  term_end: ['contractEndDate', 'termEnd', 'term_end', 'endDate'],
  renewal_date: ['renewalDate', 'renewal_date'],
  audience: ['audience'],
  grades: ['grades', 'gradeBand', 'grade_band'],
  notes: ['notes', 'note'],
} as const satisfies ColumnSpec;

export const REQUIRED_LICENSE_COLUMNS = ['app', 'scope', 'seats', 'cost', 'currency', 'term_start'] as const;

export const COST_BASES = ['flat', 'per_seat', 'per_student'] as const;
export type CostBasis = (typeof COST_BASES)[number];
export const AUDIENCES = ['students', 'teachers', 'all'] as const;
export type Audience = (typeof AUDIENCES)[number];

/** Roster roles (dim_people.role, rollup role) each audience covers. */
export const AUDIENCE_ROLES: Record<Audience, string[]> = {
  students: ['student'],
  teachers: ['teacher'],
  all: ['student', 'teacher', 'other'],
};

const word = (s: string) =>
  s
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');

const licenseSchema = z
  .object({
    license_id: optional(z.string().max(200)),
    app: appKey,
    vendor: optional(z.string()),
    scope: z.string().min(1, 'required'),
    seats: z
      .string()
      .min(1, 'required')
      .transform((s, ctx) => {
        if (word(s) === 'unlimited') return 'unlimited' as const;
        if (!/^\d+$/.test(s) || Number(s) <= 0 || Number(s) > 4_000_000_000) {
          ctx.addIssue({ code: 'custom', message: `expected a whole number of seats > 0 or "unlimited": ${s}` });
          return z.NEVER;
        }
        return Number(s);
      }),
    cost: z
      .string()
      .regex(/^\d+(\.\d{1,4})?$/, 'expected an amount ≥ 0 like 1200 or 1200.50 (no currency sign)')
      .transform(Number),
    cost_basis: optional(z.string().transform(word).pipe(z.enum(COST_BASES))).default('flat'),
    currency: z
      .string()
      .transform((s) => s.toUpperCase())
      .pipe(z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code like USD')),
    term_start: dateColumnDay,
    term_end: optional(dateColumnDay),
    renewal_date: optional(dateColumnDay),
    audience: optional(z.string().transform(word).pipe(z.enum(AUDIENCES))).default('students'),
    grades: optional(gradeBand).default([]),
    notes: optional(z.string()).default(''),
  })
  .superRefine((l, ctx) => {
    if (l.seats === 'unlimited' && l.cost_basis === 'per_seat') {
      ctx.addIssue({
        code: 'custom',
        path: ['cost_basis'],
        message: 'per_seat cost needs a number of seats, not unlimited',
      });
    }
    const end = l.term_end ?? l.renewal_date;
    if (end === undefined)
      ctx.addIssue({ code: 'custom', path: ['term_end'], message: 'required (or a renewal date)' });
    else if (end < l.term_start) ctx.addIssue({ code: 'custom', path: ['term_end'], message: 'before the term start' });
  });

/** One license as stored (table `licenses`, without district and version). */
export interface LicenseRecord {
  license_id: string;
  app_id: string;
  vendor: string;
  /** '' = the whole district, else a school's sourcedId. */
  school_id: string;
  seats: number;
  unlimited_seats: 0 | 1;
  cost: number;
  cost_basis: CostBasis;
  currency: string;
  term_start: string;
  term_end: string;
  renewal_date: string;
  audience: Audience;
  audience_roles: string[];
  grades: string[];
  notes: string;
}

/**
 * The id of a row without licenseId: `<app>:<scope>:<audience>:<term start>` (scope = the district id
 * for a district-wide license), so a district's contracts of one app for two audiences or two terms
 * (this year's and next year's) are two licenses, not one id given twice. Made of the characters of
 * the API's ids when the app and scope are (`license=` takes it; the `<app>@<scope>` of earlier
 * versions could not be passed there, and was refused for a second contract of the same app).
 */
export const defaultLicenseId = (l: { app: string; scope: string; audience: Audience; term_start: string }): string =>
  `${l.app}:${l.scope}:${l.audience}:${l.term_start}`;

/**
 * Checks one CSV record. A scope equal to the district id means district-wide. The term ends on
 * the term end if given, else on the renewal date. Without a licenseId, the id is defaultLicenseId.
 */
export function parseLicense(
  values: Map<string, string>,
  districtId: string,
): { ok: true; license: LicenseRecord } | { ok: false; issues: { field: string; message: string }[] } {
  const parsed = licenseSchema.safeParse(Object.fromEntries(values));
  if (!parsed.success) return { ok: false, issues: fieldIssues(parsed.error) };
  const l = parsed.data;
  const school = l.scope.trim() === districtId ? '' : l.scope.trim();
  return {
    ok: true,
    license: {
      license_id:
        l.license_id?.trim() ||
        defaultLicenseId({ app: l.app, scope: school || districtId, audience: l.audience, term_start: l.term_start }),
      app_id: l.app,
      vendor: l.vendor?.trim() ?? '',
      school_id: school,
      seats: l.seats === 'unlimited' ? 0 : l.seats,
      unlimited_seats: l.seats === 'unlimited' ? 1 : 0,
      cost: l.cost,
      cost_basis: l.cost_basis,
      currency: l.currency,
      term_start: l.term_start,
      term_end: (l.term_end ?? l.renewal_date)!,
      renewal_date: l.renewal_date ?? '',
      audience: l.audience,
      audience_roles: AUDIENCE_ROLES[l.audience],
      grades: l.grades,
      notes: l.notes,
    },
  };
}
