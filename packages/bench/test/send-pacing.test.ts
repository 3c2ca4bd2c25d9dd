/**
 * The paced phase's sender: bodies leave at the asked rate one after the other, not in bursts of one
 * per connection (which is what happened when every waiting connection computed the same send time),
 * and `freshBodies` gives exactly the events asked for.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { freshBodies, sendBodies, type Body } from '../src/load';

/** A stand-in for ingest's POST /v1/events that records when each request arrived. */
async function recordingServer(): Promise<{ url: string; arrivals: number[]; close: () => Promise<void> }> {
  const arrivals: number[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      arrivals.push(performance.now());
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ accepted: 1000 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const body = (events: number, source = 'agent'): Body => ({
  source,
  text: Array.from({ length: events }, (_, i) => `{"event_id":"e${i}","source":"${source}"}`).join('\n') + '\n',
  events,
});

test('at 5,000 events/s, 1,000-event bodies over 8 connections arrive about 200 ms apart', async () => {
  const server = await recordingServer();
  try {
    const bodies = Array.from({ length: 12 }, () => body(1000));
    await sendBodies(server.url, { agent: 'key' }, bodies, { concurrency: 8, ratePerSecond: 5000 });
    expect(server.arrivals).toHaveLength(12);
    // From the second arrival: the first request also opens the connection, and may come late.
    const at = server.arrivals.slice(1);
    // Ten gaps of 200 ms (2 s); loose for a loaded machine. Bursts (eight at once, every 1.6 s) put
    // seven or eight requests within a few milliseconds, which the second check catches.
    expect(at[10]! - at[0]!).toBeGreaterThan(1_500);
    const mostWithin100ms = Math.max(...at.map((t) => at.filter((u) => u >= t && u < t + 100).length));
    expect(mostWithin100ms).toBeLessThanOrEqual(3);
  } finally {
    await server.close();
  }
});

test('freshBodies gives exactly the events asked for, cutting the last body, with new ids each round', () => {
  const bodies = [body(1000), body(600, 'dns')];
  const out = [...freshBodies(bodies, 2100)];
  expect(out.map((b) => b.events)).toEqual([1000, 600, 500]);
  const last = out[2]!;
  expect(last.text.split('\n').filter(Boolean)).toHaveLength(500);
  expect(last.text.endsWith('\n')).toBe(true);
  expect(last.text.startsWith('{"event_id":"r1-e0"')).toBe(true);
  expect(out[1]!.text.startsWith('{"event_id":"r0-e0","source":"dns"}')).toBe(true);
  expect([...freshBodies([], 10)]).toEqual([]);
});
