/** Seconds a client is told to wait (Retry-After) when Kafka, Redis or the server's capacity is short. */
export const RETRY_AFTER_SECONDS = '5';

/** Too many items, or bad transport framing: refused as a whole, before any event is looked at. */
export class RequestRefused extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** Headers of the answer, e.g. Retry-After of a 429. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}
