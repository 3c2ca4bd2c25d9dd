import { atMostEvery } from '@edusage/runtime';

/** A line of the demo's own output on stdout (the services log to files, so these stay readable). */
export const say = (line: string) => process.stdout.write(line + '\n');

/** The time since `since` (a Date.now()) as "1.2 s", for the steps' "in …" and "after …". */
export const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/**
 * A `say` that prints at most one line per `intervalMs` and drops the rest: progress callbacks fire
 * far more often than anyone can read. Steps that share one keep a common pace between them.
 */
export function throttledSay(intervalMs: number): (line: string) => void {
  return atMostEvery(intervalMs, say);
}
