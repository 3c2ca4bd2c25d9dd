/**
 * The stream workers start with the lean heap (SERVICE_NODE_ARGS, SERVICE_ENV): the flags are ones this
 * Node accepts and that take effect, and startService passes them, the environment included.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { SERVICE_ENV, SERVICE_NODE_ARGS, WORKER_ENV, WORKER_NODE_ARGS, startService } from '../src/services';

const WORKERS = ['ingest', 'enrich', 'aggregate'] as const;

/** Allocates short-lived objects until the young generation is at its largest; prints the new space's size. */
const NEW_SPACE_PROBE = `
  const v8 = require('v8');
  let max = 0, keep = [];
  for (let i = 0; i < 2e6; i++) {
    keep.push({ i, s: 'x' + i });
    if (keep.length > 20000) keep = [];
    if (i % 50000 === 0) max = Math.max(max, v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
  }
  process.stdout.write(String(max));`;

test.each(WORKERS)('%s runs with the lean heap and the malloc setting', (name) => {
  expect(SERVICE_NODE_ARGS[name]).toEqual(WORKER_NODE_ARGS);
  expect(SERVICE_ENV[name]).toEqual(WORKER_ENV);
});

test('this Node accepts the lean heap flags, and the young generation stays within two 8 MiB semi-spaces', () => {
  // An unknown or refused flag makes node exit with "bad option" before running anything.
  const out = execFileSync(process.execPath, [...WORKER_NODE_ARGS, '-e', NEW_SPACE_PROBE], {
    env: { ...process.env, ...WORKER_ENV, NODE_OPTIONS: '' },
    encoding: 'utf8',
  });
  expect(Number(out)).toBeGreaterThan(0);
  expect(Number(out)).toBeLessThanOrEqual(2 * 8 * 1024 * 1024);
});

test('startService starts a worker with its flags and environment, which a caller can override', async () => {
  // Brokers that are not there: the worker keeps retrying to connect while the test reads its process.
  const env = {
    ENRICH_HTTP_PORT: '0',
    KAFKA_BROKERS: '127.0.0.1:1',
    PSEUDONYM_KEY: 'a-test-key-of-sixteen-or-more',
    REDIS_URL: 'redis://127.0.0.1:1/0',
  };
  const child = startService('enrich', env);
  try {
    expect(child.child.spawnargs.slice(1, 1 + WORKER_NODE_ARGS.length)).toEqual([...WORKER_NODE_ARGS]);
    expect(readEnviron(child.child.pid!).get('MALLOC_MMAP_THRESHOLD_')).toBe(WORKER_ENV.MALLOC_MMAP_THRESHOLD_);
  } finally {
    await child.kill();
  }
  const overridden = startService('enrich', { ...env, MALLOC_MMAP_THRESHOLD_: '65536' });
  try {
    expect(readEnviron(overridden.child.pid!).get('MALLOC_MMAP_THRESHOLD_')).toBe('65536');
  } finally {
    await overridden.kill();
  }
});

/** The environment a process started with (Linux /proc; spawn returns after the exec). */
function readEnviron(pid: number): Map<string, string> {
  const text = readFileSync(`/proc/${pid}/environ`, 'utf8');
  return new Map(
    text
      .split('\0')
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]),
  );
}
