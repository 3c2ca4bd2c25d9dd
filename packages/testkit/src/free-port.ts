import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Lowest port handed out for private servers: above the well-known and registered service ports in use here. */
const LOWEST = 20_000;

/**
 * The first port of the kernel's ephemeral range, from which outbound connections take their local
 * ports (Linux; 32768 elsewhere, the Linux default).
 */
export function ephemeralLow(rangeFile = '/proc/sys/net/ipv4/ip_local_port_range'): number {
  try {
    const low = Number(readFileSync(rangeFile, 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/** Listens on `port` (0: the kernel picks) and closes again; the port bound, or null if it was taken. */
async function tryListen(port: number): Promise<number | null> {
  const server = createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (!bound) return null;
  const address = server.address();
  await new Promise((r) => server.close(r));
  return address === null || typeof address === 'string' ? null : address.port;
}

/**
 * A loopback TCP port that was free a moment ago, chosen below the kernel's ephemeral range. A private
 * server restarted on its port must find it free: a port from the ephemeral range (what `listen(0)`
 * gives) can meanwhile be the local port of any client connection on the machine, and the restart then
 * fails with "Address already in use" (seen in CI with the ClickHouse kill test).
 */
export async function freePort(): Promise<number> {
  const highest = ephemeralLow() - 1;
  if (highest - LOWEST >= 1_000) {
    for (let attempt = 0; attempt < 200; attempt++) {
      const port = await tryListen(randomInt(LOWEST, highest + 1));
      if (port !== null) return port;
    }
  }
  // A machine whose ephemeral range leaves no room below it: let the kernel pick.
  const port = await tryListen(0);
  if (port === null) throw new Error('could not get a free port');
  return port;
}
