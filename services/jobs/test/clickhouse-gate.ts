/**
 * An HTTP proxy in front of ClickHouse that lets a test stop the service at an exact point: the
 * first request matching `holdAfter` is forwarded and answered by ClickHouse (so its effect is
 * stored), but the answer is never passed back. `held` resolves then; the caller can kill the
 * service knowing the write happened and the service never learned it.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ClickHouseGate {
  url: string;
  /** Resolves with the held request's query once ClickHouse has answered it. */
  held: Promise<string>;
  close(): Promise<void>;
}

const readAll = async (stream: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

// Hop-by-hop headers are not forwarded; bodies are re-sent whole with their own length.
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);
const forwardable = (headers: IncomingMessage['headers']) =>
  Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP.has(k.toLowerCase())));

export async function startClickHouseGate(target: string, holdAfter: RegExp): Promise<ClickHouseGate> {
  const upstream = new URL(target);
  let resolveHeld!: (query: string) => void;
  const held = new Promise<string>((resolve) => (resolveHeld = resolve));
  let holding = false;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const query = new URL(req.url ?? '/', 'http://gate').searchParams.get('query') ?? '';
      const hold = !holding && holdAfter.test(query);
      if (hold) holding = true;
      const answer = await new Promise<IncomingMessage>((resolve, reject) => {
        const out = request(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: req.method,
            path: req.url,
            headers: { ...forwardable(req.headers), host: upstream.host, 'content-length': String(body.length) },
          },
          resolve,
        );
        out.on('error', reject);
        out.end(body);
      });
      const answerBody = await readAll(answer);
      if (hold) {
        resolveHeld(query);
        return; // the service never gets this answer
      }
      res.writeHead(answer.statusCode ?? 502, {
        ...forwardable(answer.headers),
        'content-length': String(answerBody.length),
      });
      res.end(answerBody);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
