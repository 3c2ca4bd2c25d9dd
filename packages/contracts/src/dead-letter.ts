import { z } from 'zod';
import { storableReason } from './dead-letter-reason';

/** Largest original payload kept verbatim in a dead letter; longer ones are cut and flagged. */
export const MAX_DEAD_LETTER_PAYLOAD_CHARS = 64 * 1024;

/**
 * What goes to `usage.dlq`: the original input, why it was refused, where and when. Only `payload` may
 * hold input text; the reason is made storable ({@link storableReason}) because it goes to ClickHouse.
 */
export const deadLetterSchema = z.object({
  v: z.literal(1),
  failed_at: z.string(),
  stage: z.enum(['ingest', 'import', 'enrich', 'aggregate']),
  source: z.string(),
  district_id: z.string().nullable(),
  reason: z.object({
    code: z.string(),
    message: z.string(),
    field: z.string().optional(),
    line: z.number().int().optional(),
  }),
  /** The original payload as text (JSON re-serialized, or the raw line). */
  payload: z.string(),
  payload_truncated: z.boolean(),
  origin: z.string().optional(),
  /**
   * How to read `payload` again (the adapter that refused it: `native`, `caliper`, `xapi`, `squid`,
   * `csv`, …), so `dlq replay` can re-run it after the cause was fixed. Absent in older letters.
   */
  input_format: z.string().optional(),
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;

export function makeDeadLetter(input: {
  stage: DeadLetter['stage'];
  source: string;
  districtId: string | null;
  reason: DeadLetter['reason'];
  payload: unknown;
  origin?: string;
  inputFormat?: string;
  now?: Date;
}): DeadLetter {
  const text = typeof input.payload === 'string' ? input.payload : safeStringify(input.payload);
  const truncated = text.length > MAX_DEAD_LETTER_PAYLOAD_CHARS;
  return {
    v: 1,
    failed_at: (input.now ?? new Date()).toISOString(),
    stage: input.stage,
    source: input.source,
    district_id: input.districtId,
    // The whole text, not the cut payload: a quote from past the cut must go too.
    reason: storableReason(input.reason, text),
    payload: truncated ? text.slice(0, MAX_DEAD_LETTER_PAYLOAD_CHARS) : text,
    payload_truncated: truncated,
    ...(input.origin !== undefined ? { origin: input.origin } : {}),
    ...(input.inputFormat !== undefined ? { input_format: input.inputFormat } : {}),
  };
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
