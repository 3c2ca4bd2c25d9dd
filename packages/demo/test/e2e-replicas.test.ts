/**
 * Scale out: two replicas each of enrich and aggregate in the same consumer groups. Both replicas of
 * each service get partitions, one replica of each is SIGKILLed mid-stream (its partitions move to the
 * other, which re-reads what was not committed), and the stored events and every rollup cell equal the
 * independent reference: nothing lost, nothing counted twice.
 */
import type { Kafka } from '@edusage/kafka';
import { PSEUDONYM_KEY, sendSamplePaced, setupE2E, type E2E, expectStoredAsReference } from './support/e2e';
import { buildReference } from './support/reference';

jest.setTimeout(300_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Members of a consumer group with how many partitions each holds (from the group's assignment). */
async function membersWithPartitions(kafka: Kafka, groupId: string): Promise<number[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    // memberAssignment is the consumer protocol's MemberAssignment: version, then topic → partitions.
    return groups[0]!.members.map((m) => {
      const buf = m.memberAssignment;
      if (buf.length < 6) return 0;
      let at = 2;
      const topics = buf.readInt32BE(at);
      at += 4;
      let partitions = 0;
      for (let t = 0; t < topics; t++) {
        const nameLength = buf.readInt16BE(at);
        at += 2 + nameLength;
        const n = buf.readInt32BE(at);
        at += 4 + 4 * n;
        partitions += n;
      }
      return partitions;
    });
  } finally {
    await admin.disconnect();
  }
}

describe('end to end: two replicas of enrich and aggregate', () => {
  let e2e: E2E | null = null;

  beforeAll(async () => {
    // 6 partitions so that two replicas both get some.
    e2e = await setupE2E('e2e_replicas', { partitions: 6 });
  });

  afterAll(async () => {
    await e2e?.teardown();
  });

  it('shares the partitions, survives losing a replica of each, and ends with the reference numbers', async () => {
    const t = e2e!;
    const ref = buildReference(t.sample, PSEUDONYM_KEY);
    // The further replicas as the benchmark's --replicas starts them (LocalPipeline process names).
    t.pipeline.start('enrich#2');
    t.pipeline.start('aggregate#2');

    // Both groups settle with two members that each hold partitions.
    for (const group of [t.groups.ENRICH_GROUP_ID, t.groups.AGGREGATE_GROUP_ID]) {
      const deadline = Date.now() + 90_000;
      let shares: number[] = [];
      while (Date.now() < deadline) {
        shares = await membersWithPartitions(t.kafka, group);
        if (shares.length === 2 && shares.every((n) => n > 0)) break;
        await sleep(1_000);
      }
      expect([group, shares.length, shares.every((n) => n > 0)]).toEqual([group, 2, true]);
    }

    let killed = false;
    await sendSamplePaced(t, {
      batchSize: 40,
      pauseMs: () => 40,
      importSquidAfter: 0.4,
      onSending: (index, total) => {
        if (!killed && index === Math.floor(total * 0.5)) {
          killed = true;
          // The pipeline's own replicas die: the extra ones take over their partitions.
          void t.pipeline.kill('enrich');
          void t.pipeline.kill('aggregate');
        }
      },
    });
    expect(killed).toBe(true);

    await t.drain(180_000);
    await expectStoredAsReference(t.ch, ref);
  });
});
