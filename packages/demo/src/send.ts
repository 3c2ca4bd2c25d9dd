import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface SendSummary {
  requests: number;
  accepted: number;
  rejected: number;
  rejectedByCode: Record<string, number>;
}

interface IngestReply {
  accepted?: number;
  rejected?: { reason?: { code?: string } }[];
}

function newSummary(): SendSummary {
  return { requests: 0, accepted: 0, rejected: 0, rejectedByCode: {} };
}

/** POSTs one body; 202 and 422 are answers with per-item results, anything else is an error. */
async function post(
  baseUrl: string,
  route: string,
  apiKey: string,
  body: string,
  contentType: string,
  into: SendSummary,
) {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${baseUrl}${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': contentType },
      body,
    });
    if (res.status === 503 && attempt < 5) {
      await new Promise((r) => setTimeout(r, 1000 * attempt));
      continue;
    }
    const reply = (await res.json().catch(() => ({}))) as IngestReply;
    if (res.status !== 202 && res.status !== 422 && res.status !== 400) {
      throw new Error(`${route} answered ${res.status}: ${JSON.stringify(reply)}`);
    }
    into.requests += 1;
    into.accepted += reply.accepted ?? 0;
    const rejected = res.status === 400 ? [{ reason: { code: 'malformed_json' } }] : (reply.rejected ?? []);
    for (const r of rejected) {
      const code = r.reason?.code ?? 'unknown';
      into.rejected += 1;
      into.rejectedByCode[code] = (into.rejectedByCode[code] ?? 0) + 1;
    }
    return;
  }
}

async function* lines(file: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of rl) if (line.trim().length > 0) yield line;
}

/** Runs at most `limit` sends at once. */
function limiter(limit: number) {
  const running = new Set<Promise<void>>();
  return {
    async add(task: () => Promise<void>) {
      while (running.size >= limit) await Promise.race(running);
      const p = task().finally(() => running.delete(p));
      running.add(p);
    },
    async drain() {
      await Promise.all(running);
    },
  };
}

/**
 * Sends a native-event NDJSON file to POST /v1/events in NDJSON batches, each line with the API key
 * of its own `source` (the key decides the source; lines that are not JSON go with `fallbackSource`).
 */
export async function sendNativeFile(
  file: string,
  baseUrl: string,
  keysBySource: Record<string, string>,
  fallbackSource: string,
  opts: { batchSize?: number; concurrency?: number; onProgress?: (sent: number) => void } = {},
): Promise<SendSummary> {
  const summary = newSummary();
  const batches = new Map<string, string[]>();
  const pool = limiter(opts.concurrency ?? 4);
  let sent = 0;
  const flush = async (source: string) => {
    const batch = batches.get(source) ?? [];
    batches.set(source, []);
    if (batch.length === 0) return;
    const key = keysBySource[source];
    if (!key) throw new Error(`no API key for source ${source}`);
    await pool.add(async () => {
      await post(baseUrl, '/v1/events', key, batch.join('\n') + '\n', 'application/x-ndjson', summary);
      sent += batch.length;
      opts.onProgress?.(sent);
    });
  };
  for await (const line of lines(file)) {
    let source = fallbackSource;
    try {
      const parsed = JSON.parse(line) as { source?: unknown };
      if (typeof parsed.source === 'string' && keysBySource[parsed.source]) source = parsed.source;
    } catch {
      // Not JSON: sent as it is, so ingest rejects it with its reason.
    }
    const batch = batches.get(source) ?? [];
    batch.push(line);
    batches.set(source, batch);
    if (batch.length >= (opts.batchSize ?? 1000)) await flush(source);
  }
  for (const source of [...batches.keys()]) await flush(source);
  await pool.drain();
  return summary;
}

/** Sends each line of a Caliper NDJSON file (one Envelope per line) to POST /v1/caliper. */
export async function sendCaliperFile(
  file: string,
  baseUrl: string,
  apiKey: string,
  opts: { concurrency?: number; onProgress?: (sent: number) => void } = {},
): Promise<SendSummary> {
  const summary = newSummary();
  const pool = limiter(opts.concurrency ?? 8);
  let sent = 0;
  for await (const line of lines(file)) {
    await pool.add(async () => {
      await post(baseUrl, '/v1/caliper', apiKey, line, 'application/json', summary);
      sent += 1;
      opts.onProgress?.(sent);
    });
  }
  await pool.drain();
  return summary;
}
