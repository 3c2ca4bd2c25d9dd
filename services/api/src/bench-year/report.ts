/** The timing table of `pnpm bench:year`: a header, one line per read as it is measured, a summary. */
import os from 'node:os';
import { ms } from '@edusage/licenses/dist/bench/district';
import type { Timing } from './requests';

const say = (line: string) => process.stdout.write(line + '\n');
export const TARGET_MS = 200;

export const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

export function printHeader(how: string, runs: number): void {
  say(`\n${how}; ${runs} runs each after one warm-up; target p95 ≤ ${TARGET_MS} ms`);
  say(
    `${'read'.padEnd(34)} ${'rows'.padStart(6)} ${'p50'.padStart(9)} ${'p95'.padStart(9)} ${'max'.padStart(9)}  target (load average after)`,
  );
}

export function printTiming(t: Timing): void {
  const load = `(load ${os.loadavg()[0]!.toFixed(1)})`;
  if ('failed' in t) {
    say(`${t.name.padEnd(34)} FAILED after ${ms(t.afterMs)}: ${t.failed}  target NOT met ${load}`);
    return;
  }
  const verdict = t.p95 <= TARGET_MS ? 'met' : `NOT met (${(t.p95 / TARGET_MS).toFixed(1)} × the target)`;
  say(
    `${t.name.padEnd(34)} ${String(t.rows).padStart(6)} ${ms(t.p50).padStart(9)} ${ms(t.p95).padStart(9)} ${ms(t.max).padStart(9)}  ${verdict} ${load}`,
  );
}

export function printSummary(timings: Timing[]): void {
  const met = timings.filter((t) => !('failed' in t) && t.p95 <= TARGET_MS).length;
  say(`target p95 ≤ ${TARGET_MS} ms met by ${met} of ${timings.length} reads`);
}
