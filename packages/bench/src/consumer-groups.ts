import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from '@edusage/kafka';

/**
 * Waits until every group is Stable with at least `members` members (the services and their
 * replicas have joined and been assigned partitions). `check` runs at every poll and may throw
 * (a member that died at start-up should not cost the whole timeout).
 */
export async function waitGroupsStable(
  kafka: Kafka,
  groupIds: string[],
  timeoutMs: number,
  members = 1,
  check: () => void = () => undefined,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { groups } = await admin.describeGroups(groupIds);
      if (groups.every((g) => g.state === 'Stable' && g.members.length >= members)) return;
      check();
      if (Date.now() > deadline) {
        throw new Error(
          `consumer groups not stable with ${members} member(s) each: ${groups.map((g) => `${g.groupId}=${g.state} (${g.members.length} members)`).join(', ')}`,
        );
      }
      await sleep(500);
    }
  } finally {
    await admin.disconnect();
  }
}
