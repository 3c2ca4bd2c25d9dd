import { consumerLag, type Kafka } from '@edusage/kafka';

/**
 * Waits until every group has consumed everything (lag 0 on two checks in a row, since a group can
 * commit its input before its output has been consumed downstream), reporting progress.
 */
export async function waitUntilDrained(
  kafka: Kafka,
  groups: { groupId: string; topics: string[] }[],
  opts: { timeoutMs?: number; intervalMs?: number; onProgress?: (lags: Record<string, number>) => void } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 300_000);
  let quietChecks = 0;
  for (;;) {
    const lags: Record<string, number> = {};
    for (const g of groups) lags[g.groupId] = await consumerLag(kafka, g.groupId, g.topics);
    opts.onProgress?.(lags);
    quietChecks = Object.values(lags).every((l) => l === 0) ? quietChecks + 1 : 0;
    if (quietChecks >= 2) return;
    if (Date.now() > deadline)
      throw new Error(`pipeline did not drain in time; lag per group: ${JSON.stringify(lags)}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}
