import { readFileSync } from 'node:fs';
import path from 'node:path';

/** A service's memory peaks from its --memory samples (bytes); `live` only with --memory-live. */
export interface MemoryPeaks {
  samples: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  arrayBuffers: number;
  /** Largest heap left after a forced full GC. */
  live?: number;
}

/** One line of memory-preload.ts: the same figures, at one moment. */
type Sample = Omit<MemoryPeaks, 'samples'>;

/** The peaks of each process's samples (by its pid's file in `dir`); a process without samples is left out. */
export function memoryPeaksByProcess(
  dir: string,
  pids: Record<string, number | undefined>,
): Record<string, MemoryPeaks> {
  const out: Record<string, MemoryPeaks> = {};
  for (const [name, pid] of Object.entries(pids)) {
    if (pid === undefined) continue;
    let samples: Sample[];
    try {
      samples = readFileSync(path.join(dir, `MEM.${pid}.ndjson`), 'utf8')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Sample);
    } catch {
      continue;
    }
    if (samples.length === 0) continue;
    const peak = (f: (s: Sample) => number | undefined) => Math.max(...samples.map((s) => f(s) ?? -Infinity));
    const live = peak((s) => s.live);
    out[name] = {
      samples: samples.length,
      rss: peak((s) => s.rss),
      heapTotal: peak((s) => s.heapTotal),
      heapUsed: peak((s) => s.heapUsed),
      arrayBuffers: peak((s) => s.arrayBuffers),
      ...(Number.isFinite(live) ? { live } : {}),
    };
  }
  return out;
}
