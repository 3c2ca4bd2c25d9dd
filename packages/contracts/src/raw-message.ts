import { z } from 'zod';
import { nativeEventSchema } from './native-event';

/** What ingest writes to `usage.raw`: a validated native event plus where it came in. */
export const rawMessageSchema = z.object({
  v: z.literal(1),
  event: nativeEventSchema,
  received_at: z.string(),
  /** How it came in: 'http' (POST), 'file' (import command), or 'replay' (re-sent from usage.dlq). */
  channel: z.enum(['http', 'file', 'replay']),
  /** File name and line, or HTTP request id: for tracing a number back to its input. */
  origin: z.string().max(1024).optional(),
});
export type RawMessage = z.infer<typeof rawMessageSchema>;
