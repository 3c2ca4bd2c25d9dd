import type { DeadLetter } from '@edusage/contracts';

/** Which dead letters a `dlq` command works on. Every given criterion must hold; none given = all. */
export interface DeadLetterFilter {
  districtId?: string;
  stages?: readonly string[];
  sources?: readonly string[];
  /** Reason codes (`unsupported_event`, `invalid_field`, …). */
  reasons?: readonly string[];
  /** Only letters that failed at or after this instant. */
  since?: Date;
  /** Only letters that failed before this instant. */
  until?: Date;
}

export function matchesFilter(letter: DeadLetter, f: DeadLetterFilter): boolean {
  if (f.districtId !== undefined && letter.district_id !== f.districtId) return false;
  if (f.stages?.length && !f.stages.includes(letter.stage)) return false;
  if (f.sources?.length && !f.sources.includes(letter.source)) return false;
  if (f.reasons?.length && !f.reasons.includes(letter.reason.code)) return false;
  if (f.since !== undefined || f.until !== undefined) {
    const failedAt = Date.parse(letter.failed_at);
    if (Number.isNaN(failedAt)) return false;
    if (f.since !== undefined && failedAt < f.since.getTime()) return false;
    if (f.until !== undefined && failedAt >= f.until.getTime()) return false;
  }
  return true;
}
