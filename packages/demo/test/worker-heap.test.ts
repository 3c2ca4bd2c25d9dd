/**
 * The stream workers start with the lean heap (SERVICE_NODE_ARGS, SERVICE_ENV): the flags are ones this
 * Node accepts, the semi-space size takes effect, and startService passes them, the environment included.
 * (The old space's growth is not tested here: its peak under a probe's garbage depended on the machine,
 * 0.6 of V8 defaults' on one, 0.68 on CI's, with and without --predictable.)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { SERVICE_ENV, SERVICE_NODE_ARGS, WORKER_MALLOC_ENV, WORKER_NODE_ARGS, startService } from '../src/services';

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

/** Runs a probe under node with `args` (nothing from NODE_OPTIONS); its printed number. */
function probe(args: readonly string[], script: string): number {
  // An unknown or refused flag makes node exit with "bad option" before running anything: execFileSync throws.
  const out = execFileSync(process.execPath, [...args, '-e', script], {
    env: { ...process.env, ...WORKER_MALLOC_ENV, NODE_OPTIONS: '' },
    encoding: 'utf8',
  });
  return Number(out);
}

test.each(WORKERS)('%s runs with the lean heap and the malloc setting', (name) => {
  expect(SERVICE_NODE_ARGS[name]).toEqual(WORKER_NODE_ARGS);
  expect(SERVICE_ENV[name]).toEqual(WORKER_MALLOC_ENV);
});

test('the young generation stays within two 8 MiB semi-spaces, smaller than with V8 defaults', () => {
  const lean = probe(WORKER_NODE_ARGS, NEW_SPACE_PROBE);
  const defaults = probe([], NEW_SPACE_PROBE);
  expect(lean).toBeGreaterThan(0);
  expect(lean).toBeLessThanOrEqual(2 * 8 * 1024 * 1024);
  expect(defaults).toBeGreaterThan(lean);
});

test('startService starts a worker with its flags and environment, which a caller can override or leave out', async () => {
  // The malloc setting of whoever runs the tests would override the default: not inherited for this check.
  const inherited = process.env.MALLOC_MMAP_THRESHOLD_;
  delete process.env.MALLOC_MMAP_THRESHOLD_;
  // Brokers and Redis that are not there: the worker keeps retrying to connect while the test reads its process.
  const env = {
    ENRICH_HTTP_PORT: '0',
    KAFKA_BROKERS: '127.0.0.1:1',
    PSEUDONYM_KEY: 'a-test-key-of-sixteen-or-more',
    REDIS_URL: 'redis://127.0.0.1:1/0',
  };
  try {
    const child = startService('enrich', env);
    try {
      expect(child.child.spawnargs.slice(1, 1 + WORKER_NODE_ARGS.length)).toEqual([...WORKER_NODE_ARGS]);
      expect(readEnviron(child.child.pid!).get('MALLOC_MMAP_THRESHOLD_')).toBe(
        WORKER_MALLOC_ENV.MALLOC_MMAP_THRESHOLD_,
      );
    } finally {
      await child.kill();
    }
    const overridden = startService('enrich', { ...env, MALLOC_MMAP_THRESHOLD_: '65536' });
    try {
      expect(readEnviron(overridden.child.pid!).get('MALLOC_MMAP_THRESHOLD_')).toBe('65536');
    } finally {
      await overridden.kill();
    }
    // The benchmark's --v8-defaults: neither the flags nor the malloc setting.
    const plain = startService('enrich', env, { v8Defaults: true });
    try {
      expect(plain.child.spawnargs.slice(1)).toEqual([expect.stringMatching(/services\/enrich\/dist\/main\.js$/)]);
      expect(readEnviron(plain.child.pid!).has('MALLOC_MMAP_THRESHOLD_')).toBe(false);
    } finally {
      await plain.kill();
    }
  } finally {
    if (inherited !== undefined) process.env.MALLOC_MMAP_THRESHOLD_ = inherited;
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
