import type { ClickHouseClient } from '@edusage/clickhouse';

/** The client's methods that send a request; each takes one params object with an optional `abort_signal`. */
const REQUESTS: ReadonlySet<PropertyKey> = new Set(['query', 'command', 'exec', 'insert']);

type Request = (params: { abort_signal?: AbortSignal }) => Promise<unknown>;

/**
 * `ch` as one run sees it, stopped by `signal`: every request first checks the signal (an aborted one
 * throws its reason) and carries it, so a request in flight is aborted too. The work of other packages
 * (research publication, erasure), which takes no signal, thus stops at its current or next ClickHouse
 * request, as it does when the worker shuts down.
 */
export function abortableClickHouse(ch: ClickHouseClient, signal: AbortSignal): ClickHouseClient {
  return new Proxy(ch, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (!REQUESTS.has(prop)) return value.bind(target);
      const request = value as Request;
      return (params: { abort_signal?: AbortSignal }) => {
        signal.throwIfAborted();
        const own = params.abort_signal;
        return request.call(target, { ...params, abort_signal: own ? AbortSignal.any([own, signal]) : signal });
      };
    },
  });
}
