/**
 * Preloaded into a service (NODE_OPTIONS=--require …) when the benchmark runs with --memory: writes
 * the process's memory every second to `<BENCH_MEMORY_DIR>/MEM.<pid>.ndjson` (RSS, the V8 heap's
 * size and use, Buffers). With --memory-live (node --expose-gc) every third sample first forces a
 * full GC and also records the heap left after it: the live heap. Forcing GCs slows the service, so
 * a --memory-live run's rates are not comparable with others.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.env.BENCH_MEMORY_DIR;
if (dir) {
  const file = path.join(dir, `MEM.${process.pid}.ndjson`);
  const gc = (globalThis as { gc?: () => void }).gc;
  let tick = 0;
  setInterval(() => {
    const m = process.memoryUsage();
    let live: number | undefined;
    if (gc && ++tick % 3 === 0) {
      gc();
      live = process.memoryUsage().heapUsed;
    }
    const sample = {
      rss: m.rss,
      heapTotal: m.heapTotal,
      heapUsed: m.heapUsed,
      arrayBuffers: m.arrayBuffers,
      ...(live === undefined ? {} : { live }),
    };
    appendFileSync(file, JSON.stringify(sample) + '\n');
  }, 1000).unref();
}
