import type { z } from 'zod';

/** Why an input was refused. `field` (dotted path) or `line` always says where, when known. */
export interface RejectReason {
  /** Stable machine code, used to count dead letters by reason. */
  code:
    | 'malformed_json'
    | 'invalid_field'
    | 'missing_identifier'
    | 'unsupported_event'
    | 'unparseable_line'
    | 'payload_too_large'
    | 'unknown_source_key'
    | 'district_mismatch'
    | 'internal_error';
  message: string;
  field?: string;
  line?: number;
}

/** A rejected item and the original input it came from (kept verbatim for the dead-letter topic). */
export interface Rejection {
  reason: RejectReason;
  payload: unknown;
  /** Position of the item in its batch or file (0-based index, or 1-based line for files). */
  index?: number;
}

/** Turns the first zod issue into a reason that names the field. */
export function reasonFromZod(error: z.ZodError, fieldPrefix = ''): RejectReason {
  const issue = error.issues[0];
  const path = issue ? issue.path.map(String).join('.') : '';
  const field = [fieldPrefix, path].filter((p) => p.length > 0).join('.');
  const code =
    issue && issue.code === 'custom' && issue.params?.['code'] === 'missing_identifier'
      ? 'missing_identifier'
      : 'invalid_field';
  return {
    code,
    field: field || undefined,
    message: `${field || 'event'}: ${issue?.message ?? 'invalid'}`,
  };
}
