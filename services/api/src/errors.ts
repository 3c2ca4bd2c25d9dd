import { clickhouseErrorCode } from '@edusage/clickhouse';

/**
 * Redis or ClickHouse not reachable (refused, reset, timed out, ioredis giving up): the request may be
 * fine, so 503 + Retry-After rather than 500.
 */
export function isUnavailable(err: unknown): boolean {
  return anyCause(err, (e) => {
    const code = (e as { code?: unknown }).code;
    return (
      e.name === 'MaxRetriesPerRequestError' ||
      (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND)$/.test(code)) ||
      /Connection is closed|Stream isn't writeable|socket hang up|Timeout error/i.test(e.message)
    );
  });
}

/**
 * A query ClickHouse stopped for running too long (TIMEOUT_EXCEEDED, 159: API_QUERY_TIMEOUT_SECONDS).
 * Not "retry later": the same request would take as long again. The client's own "Timeout error"
 * (no answer within 60 s, longer than the limit) means the server does not answer: unavailable.
 */
export function isQueryTimeout(err: unknown): boolean {
  return anyCause(err, (e) => clickhouseErrorCode(e) === '159');
}

/** Whether the error or one of its causes (at most 5 deep) is what `test` looks for. */
function anyCause(err: unknown, test: (e: Error) => boolean): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) if (test(e)) return true;
  return false;
}
