import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** One NDJSON request body for POST /v1/events, sent with the API key of its source. */
export interface Body {
  source: string;
  text: string;
  events: number;
}

const SOURCE_RE = /"source":"([a-z]+)"/;

/**
 * Reads the first `limit` lines of a native NDJSON file and cuts them into request bodies of
 * `batchSize` lines per source (the API key decides the source), in file order.
 */
export async function readBodies(file: string, limit: number, batchSize: number): Promise<Body[]> {
  const bodies: Body[] = [];
  const open = new Map<string, string[]>();
  const flush = (source: string) => {
    const lines = open.get(source);
    if (!lines || lines.length === 0) return;
    bodies.push({ source, text: lines.join('\n') + '\n', events: lines.length });
    open.set(source, []);
  };
  let n = 0;
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.trim().length === 0) continue;
    const source = SOURCE_RE.exec(line)?.[1] ?? 'agent';
    const lines = open.get(source) ?? [];
    lines.push(line);
    open.set(source, lines);
    if (lines.length >= batchSize) flush(source);
    if (++n >= limit) break;
  }
  rl.close();
  for (const source of [...open.keys()]) flush(source);
  return bodies;
}

/** The same body with every event_id given a prefix, so its events are new events (not duplicates). */
export function withFreshIds(body: Body, prefix: string): Body {
  return { ...body, text: body.text.replaceAll('{"event_id":"', `{"event_id":"${prefix}`) };
}

export interface PostResult {
  status: number;
  accepted: number;
  rejected: number;
}

/** POSTs one NDJSON body; 503 is retried after a pause (ingest's Retry-After), anything but 202/422 throws. */
export async function postEvents(baseUrl: string, apiKey: string, body: string): Promise<PostResult> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${baseUrl}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/x-ndjson' },
      body,
    });
    const text = await res.text();
    if (res.status === 503 && attempt < 5) {
      await new Promise((r) => setTimeout(r, 1000 * attempt));
      continue;
    }
    if (res.status !== 202 && res.status !== 422)
      throw new Error(`POST /v1/events answered ${res.status}: ${text.slice(0, 300)}`);
    const reply = JSON.parse(text) as { accepted?: number; rejected?: unknown[] };
    return { status: res.status, accepted: reply.accepted ?? 0, rejected: reply.rejected?.length ?? 0 };
  }
}

export interface SendStats {
  requests: number;
  sent: number;
  accepted: number;
  rejected: number;
  firstSendAt: number;
  lastAckAt: number;
}

export function newSendStats(): SendStats {
  return { requests: 0, sent: 0, accepted: 0, rejected: 0, firstSendAt: 0, lastAckAt: 0 };
}

/**
 * Sends bodies over up to `concurrency` connections at once. Without `ratePerSecond`, as fast as
 * ingest answers; with it, paced so that events sent by time t are ≈ rate × t: each body is given
 * its own send time when a connection takes it, before that connection waits, so the connections
 * take turns instead of all waking for the same time (it falls behind when ingest cannot keep up
 * with `concurrency` requests in flight).
 */
export async function sendBodies(
  baseUrl: string,
  keys: Record<string, string>,
  bodies: Iterable<Body>,
  opts: { concurrency: number; ratePerSecond?: number; stats?: SendStats },
): Promise<SendStats> {
  const stats = opts.stats ?? newSendStats();
  const iterator = bodies[Symbol.iterator]();
  let scheduled = 0;
  const start = Date.now();
  let failure: unknown;
  const worker = async () => {
    for (;;) {
      if (failure) return;
      const next = iterator.next();
      if (next.done) return;
      const body = next.value;
      const key = keys[body.source];
      if (!key) throw new Error(`no API key for source ${body.source}`);
      // The slot is claimed before the wait: the events scheduled before this body set its time.
      const due = opts.ratePerSecond ? start + (scheduled / opts.ratePerSecond) * 1000 : 0;
      scheduled += body.events;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      if (stats.firstSendAt === 0) stats.firstSendAt = Date.now();
      try {
        const r = await postEvents(baseUrl, key, body.text);
        stats.requests += 1;
        stats.sent += body.events;
        stats.accepted += r.accepted;
        stats.rejected += r.rejected;
        stats.lastAckAt = Date.now();
      } catch (err) {
        failure = err;
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  if (failure) throw failure;
  return stats;
}

/** `count` events from the bodies, cycling with fresh event ids (new events, not duplicates); the last body cut to fit. */
export function* freshBodies(bodies: Body[], count: number): Generator<Body> {
  if (bodies.length === 0) return;
  let n = 0;
  for (let round = 0; ; round++) {
    for (const b of bodies) {
      if (n >= count) return;
      const body = firstEvents(b, count - n);
      n += body.events;
      yield withFreshIds(body, `r${round}-`);
    }
  }
}

/** The body's first `events` lines (all of it when it has no more). */
function firstEvents(body: Body, events: number): Body {
  if (body.events <= events) return body;
  const lines = body.text.split('\n').slice(0, events);
  return { source: body.source, text: lines.join('\n') + '\n', events };
}
