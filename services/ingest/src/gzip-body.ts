import { createGunzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { RequestRefused } from './request-refused';

/**
 * Inflates `content-encoding: gzip` bodies; INGEST_MAX_BODY_BYTES then limits the inflated size.
 * Any other encoding is refused (415).
 */
export function inflateGzipBodies(app: FastifyInstance): void {
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding === 'identity') return payload;
    if (encoding !== 'gzip')
      throw new RequestRefused(
        415,
        'unsupported_encoding',
        `content-encoding ${encoding} is not supported (use gzip or none)`,
      );
    const gunzip = createGunzip();
    let encoded = 0;
    payload.on('data', (chunk: Buffer) => {
      encoded += chunk.length;
      (gunzip as unknown as { receivedEncodedLength: number }).receivedEncodedLength = encoded;
    });
    return payload.pipe(gunzip);
  });
}
