import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ephemeralLow, freePort } from '../src/free-port';

describe('freePort', () => {
  it('gives ports below the ephemeral range, which a server can then listen on', async () => {
    const low = ephemeralLow();
    for (let i = 0; i < 20; i++) {
      const port = await freePort();
      expect(port).toBeLessThan(low);
      expect(port).toBeGreaterThanOrEqual(20_000);
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
      await new Promise((r) => server.close(r));
    }
  });

  it('reads the first port of the kernel range, and falls back to 32768', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-ports-'));
    writeFileSync(path.join(dir, 'range'), '40000\t60999\n');
    writeFileSync(path.join(dir, 'junk'), 'none\n');
    expect(ephemeralLow(path.join(dir, 'range'))).toBe(40_000);
    expect(ephemeralLow(path.join(dir, 'junk'))).toBe(32_768);
    expect(ephemeralLow(path.join(dir, 'missing'))).toBe(32_768);
  });
});
