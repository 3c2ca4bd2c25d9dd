import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from '@edusage/kafka';

/** Waits until every group is Stable with members (the services have joined and been assigned partitions). */
export async function waitGroupsStable(kafka: Kafka, groupIds: string[], timeoutMs: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { groups } = await admin.describeGroups(groupIds);
      if (groups.every((g) => g.state === 'Stable' && g.members.length > 0)) return;
      if (Date.now() > deadline) {
        throw new Error(`consumer groups not stable: ${groups.map((g) => `${g.groupId}=${g.state}`).join(', ')}`);
      }
      await sleep(500);
    }
  } finally {
    await admin.disconnect();
  }
}
