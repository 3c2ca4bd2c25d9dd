import { z } from 'zod';
import type { ColumnSpec } from './csv-records';
import { appKey, fieldIssues, isoDay, optional } from './fields';

/** Approval CSV columns (packages/licenses/README.md). */
export const APPROVAL_COLUMNS = {
  app: ['appId', 'app', 'app_id', 'domain'],
  status: ['status', 'reviewStatus', 'review_status'],
  dpa_signed_on: ['dpaSignedOn', 'dpa_signed_on', 'dpaSigned'],
  dpa_expires_on: ['dpaExpiresOn', 'dpa_expires_on', 'dpaExpires'],
  note: ['note', 'notes'],
} as const satisfies ColumnSpec;

export const REQUIRED_APPROVAL_COLUMNS = ['app', 'status'] as const;

export const REVIEW_STATUSES = ['approved', 'pending', 'denied', 'not_reviewed'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

const approvalSchema = z
  .object({
    app: appKey,
    status: z
      .string()
      .transform((s) =>
        s
          .trim()
          .toLowerCase()
          .replace(/[\s-]+/g, '_'),
      )
      .pipe(z.enum(REVIEW_STATUSES)),
    dpa_signed_on: optional(isoDay).default(''),
    dpa_expires_on: optional(isoDay).default(''),
    note: optional(z.string()).default(''),
  })
  .superRefine((a, ctx) => {
    if (a.dpa_signed_on && a.dpa_expires_on && a.dpa_expires_on < a.dpa_signed_on) {
      ctx.addIssue({ code: 'custom', path: ['dpa_expires_on'], message: 'before the DPA was signed' });
    }
  });

export interface ApprovalRecord {
  app_id: string;
  status: ReviewStatus;
  dpa_signed_on: string;
  dpa_expires_on: string;
  note: string;
}

export function parseApproval(
  values: Map<string, string>,
): { ok: true; approval: ApprovalRecord } | { ok: false; issues: { field: string; message: string }[] } {
  const parsed = approvalSchema.safeParse(Object.fromEntries(values));
  if (!parsed.success) return { ok: false, issues: fieldIssues(parsed.error) };
  const a = parsed.data;
  return {
    ok: true,
    approval: {
      app_id: a.app,
      status: a.status,
      dpa_signed_on: a.dpa_signed_on,
      dpa_expires_on: a.dpa_expires_on,
      note: a.note,
    },
  };
}
