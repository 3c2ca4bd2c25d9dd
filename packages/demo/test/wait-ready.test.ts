/** LocalPipeline's readiness poll gives up on a server that accepts the request but never answers. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answersReady } from '../src/pipeline';

let held: Server;
let ok: Server;
const urlOf = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/readyz`;
const listen = (s: Server) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));

beforeAll(async () => {
  held = createServer(() => undefined); // reads the request, never answers
  ok = createServer((_req, res) => res.end('{"status":"ready"}'));
  await Promise.all([listen(held), listen(ok)]);
});
afterAll(async () => {
  for (const s of [held, ok]) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

test('a poll of a server that never answers ends as "not ready" after its timeout', async () => {
  expect(await answersReady(urlOf(held), 300)).toBe(false);
});

test('a 2xx answer is ready, and a closed port is not', async () => {
  expect(await answersReady(urlOf(ok), 5_000)).toBe(true);
  expect(await answersReady('http://127.0.0.1:1/readyz', 5_000)).toBe(false);
});
