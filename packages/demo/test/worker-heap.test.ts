/**
 * The stream workers start with the lean heap (SERVICE_NODE_ARGS, SERVICE_ENV): the flags are ones this
 * Node accepts, the semi-space size and the old space's growth take effect, and startService passes them,
 * the environment included.
 */
import { spawnSync } from 'node:child_process';
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

/**
 * Keeps ~60 MiB alive, then churns objects that live long enough to be promoted and die in the old
 * space: every full GC finds the same live heap, so the heap it let grow before it is the growth factor.
 */
const OLD_SPACE_PROBE = `
  const live = [];
  for (let i = 0; i < 400000; i++) live.push({ i, s: 'x' + i, pair: [i, i + 1] });
  const ring = new Array(20000);
  for (let k = 0; k < 3e6; k++) ring[k % 20000] = { k, s: 'y' + k, pair: [k, k] };
  process.stdout.write(String(live.length + ring.length));`;

/** Runs a probe under node with `args` (nothing from NODE_OPTIONS); what it printed on stdout. */
function run(args: readonly string[], script: string): string {
  // An unknown or refused flag makes node exit with "bad option" before running anything: spawnSync reports it.
  const result = spawnSync(process.execPath, [...args, '-e', script], {
    env: { ...process.env, ...WORKER_MALLOC_ENV, NODE_OPTIONS: '' },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

/** The probe's printed number. */
function probe(args: readonly string[], script: string): number {
  return Number(run(args, script));
}

/** Each full GC's heap in use before and after, in MB, from --trace-gc's lines (`Mark-Compact 138.1 (152.8) -> 62.0 (81.1) MB`). */
function fullGcs(trace: string): { before: number; after: number }[] {
  return [...trace.matchAll(/Mark-Compact[^\d]*([\d.]+) \([\d.]+\) -> ([\d.]+) \(/g)].map((m) => ({
    before: Number(m[1]),
    after: Number(m[2]),
  }));
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

test('the old space grows to about twice the heap the last full GC left (at most 2.5 times)', () => {
  // --predictable: one thread, no timers deciding GCs, so the same heap sizes on every machine. V8's own
  // growth factor (up to 4×) depends on measured GC and allocation speeds; --heap-growing-percent=100 fixes it at 2×.
  const gcs = fullGcs(run([...WORKER_NODE_ARGS, '--predictable', '--trace-gc'], OLD_SPACE_PROBE));
  // The first full GC comes while the live heap is still being built; the rest see the same live heap,
  // so each growth from one of them to the next is the factor. Growing by 3x or 4x, fewer of them fit.
  const steady = gcs.slice(1);
  expect(steady.length).toBeGreaterThanOrEqual(3);
  for (let i = 1; i < steady.length; i++) {
    const growth = steady[i]!.before / steady[i - 1]!.after;
    // 2× the old space plus at most the young generation's 16 MiB and the allocation during marking.
    expect(growth).toBeGreaterThan(1.5);
    expect(growth).toBeLessThanOrEqual(2.5);
  }
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
