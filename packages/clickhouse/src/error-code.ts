/**
 * The ClickHouse error code of an exception the server answered with, as a decimal string, or
 * undefined (a connection error, a time-out, anything else). @clickhouse/client sets `code` only when
 * the message has a current server's shape ("Code: 38. DB::Exception: … (CANNOT_PARSE_DATE)"); 18.16
 * answers "Code: 38, e.displayText() = DB::Exception: …", which the client leaves without a code, so
 * the code is read from the message then. A message that does not start with "Code: N" (a proxy's
 * prefix in front of it) gives undefined, which callers treat as a transient failure.
 */
export function clickhouseErrorCode(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && /^\d+$/.test(code)) return code;
  if (code !== undefined || typeof message !== 'string') return undefined;
  return /^Code: (\d+)[.,] /.exec(message)?.[1];
}
