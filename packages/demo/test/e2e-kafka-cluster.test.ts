/**
 * The pipeline on a 3-node Kafka cluster (KRaft, loopback, replication factor 3, min.insync.replicas 2;
 * `startPrivateKafkaCluster`, the same node settings as `STACK_KAFKA_NODES=3 infra/local/stack up`):
 * one broker is SIGKILLed while events flow, stays down while sending goes on, and comes back. Ingest
 * keeps accepting (two in-sync replicas remain for acks=all), the consumers move to the new partition
 * leaders and group coordinator, and the stored events and every rollup cell equal the independent
 * reference: nothing acknowledged is lost, nothing is counted twice. Like docker-compose
 * (`restart: unless-stopped`), the test restarts a service that exits: a consumer crash kafkajs will not
 * restart from ends the process with exit code 1 by design (docs/ARCHITECTURE.md, "Observability"), and
 * a broker dying can cause one; whatever exits and is restarted is printed.
 */
import { startPrivateKafkaCluster, type PrivateKafkaCluster } from '@edusage/testkit';
import {
  deadLetterCounts,
  PSEUDONYM_KEY,
  sendSamplePaced,
  setupE2E,
  type E2E,
  expectStoredAsReference,
} from './support/e2e';
import { buildReference } from './support/reference';

jest.setTimeout(420_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a failed drain needs to be understood: each service alive or not, its last warnings, the groups' state. */
async function diagnose(e2e: E2E): Promise<string> {
  const lines: string[] = [];
  for (const name of ['ingest', 'enrich', 'aggregate'] as const) {
    const worst = e2e.logOf(name).filter((l) => /"level":(40|50|60)/.test(l));
    lines.push(`${name}: ${e2e.pipeline.pid(name) === undefined ? 'EXITED' : 'running'}`);
    for (const l of worst.slice(-5)) lines.push(`  ${l.slice(0, 400)}`);
  }
  const admin = e2e.kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([e2e.groups.ENRICH_GROUP_ID, e2e.groups.AGGREGATE_GROUP_ID]);
    for (const g of groups) lines.push(`group ${g.groupId}: ${g.state}, ${g.members.length} member(s)`);
  } finally {
    await admin.disconnect();
  }
  return lines.join('\n');
}

/** Restarts any of the pipeline's services that exits, as a supervisor would; `stop()` ends it and returns the restarts. */
function supervise(e2e: E2E): { stop(): string[] } {
  const restarts: string[] = [];
  const timer = setInterval(() => {
    for (const name of ['ingest', 'enrich', 'aggregate'] as const) {
      if (e2e.pipeline.pid(name) !== undefined) continue;
      const fatal =
        e2e
          .logOf(name)
          .filter((l) => /"level":60/.test(l))
          .slice(-1)[0] ?? '(no fatal line)';
      restarts.push(`${name}: ${fatal.slice(0, 300)}`);
      e2e.pipeline.start(name);
    }
  }, 500);
  return {
    stop() {
      clearInterval(timer);
      return restarts;
    },
  };
}

/** Partition → leader node id of each of the suite's topics. */
async function leaders(e2e: E2E): Promise<Map<string, number>> {
  const admin = e2e.kafka.admin();
  await admin.connect();
  try {
    const topics = [e2e.env.topics.raw, e2e.env.topics.enriched];
    const md = await admin.fetchTopicMetadata({ topics });
    return new Map(md.topics.flatMap((t) => t.partitions.map((p) => [`${t.name}/${p.partitionId}`, p.leader])));
  } finally {
    await admin.disconnect();
  }
}

describe('end to end: a 3-broker Kafka loses a broker mid-stream', () => {
  let cluster: PrivateKafkaCluster | null = null;
  let e2e: E2E | null = null;

  beforeAll(async () => {
    cluster = await startPrivateKafkaCluster({ nodes: 3 });
    e2e = await setupE2E('e2e_kafka_cluster', {
      kafka: { brokers: cluster.brokers, replicationFactor: cluster.replicationFactor },
    });
  });

  afterAll(async () => {
    await e2e?.teardown();
    await cluster?.cleanup();
  });

  it('creates the topics with 3 replicas and min.insync.replicas 2', async () => {
    const t = e2e!;
    const admin = t.kafka.admin();
    await admin.connect();
    try {
      const md = await admin.fetchTopicMetadata({
        topics: [t.env.topics.raw, t.env.topics.enriched, t.env.topics.dlq],
      });
      for (const topic of md.topics) {
        for (const p of topic.partitions) expect([topic.name, p.replicas.length]).toEqual([topic.name, 3]);
      }
      const configs = await admin.describeConfigs({
        resources: [t.env.topics.raw, t.env.topics.enriched].map((name) => ({
          type: 2, // TOPIC
          name,
          configNames: ['min.insync.replicas'],
        })),
        includeSynonyms: false,
      });
      for (const r of configs.resources) expect(r.configEntries[0]?.configValue).toBe('2');
    } finally {
      await admin.disconnect();
    }
  });

  it('keeps accepting while a broker is down and ends with the reference numbers', async () => {
    const t = e2e!;
    const c = cluster!;
    const ref = buildReference(t.sample, PSEUDONYM_KEY);
    // Kill the node that leads the most of our partitions: the producers and both consumer groups must
    // move to new leaders.
    const before = await leaders(t);
    const counts = new Map<number, number>();
    for (const node of before.values()) counts.set(node, (counts.get(node) ?? 0) + 1);
    const victim = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    const node = c.nodes[victim - 1]!;

    let reachedKill!: () => void;
    const atKill = new Promise<void>((r) => (reachedKill = r));
    let reachedRestart!: () => void;
    const atRestart = new Promise<void>((r) => (reachedRestart = r));
    let acceptedWhileDown = 0;
    let down = false;
    const supervisor = supervise(t);
    const outage = (async () => {
      await atKill;
      await node.stop('SIGKILL'); // in the middle of the stream: the sender does not wait for this
      down = true;
      await atRestart;
      await sleep(5_000);
      down = false;
      await node.start();
    })();
    await sendSamplePaced(t, {
      batchSize: 40,
      pauseMs: () => 60,
      importSquidAfter: 0.5,
      onSending: (index, total) => {
        if (index === Math.floor(total * 0.3)) reachedKill();
        if (index === Math.floor(total * 0.8)) reachedRestart();
      },
      onAnswered: (_index, _total, accepted) => {
        if (down) acceptedWhileDown += accepted;
      },
    });
    await outage;
    expect(acceptedWhileDown).toBeGreaterThan(500);
    const after = await leaders(t);
    expect([...after.values()].every((n) => n > 0)).toBe(true);

    try {
      await t.drain(240_000);
    } catch (err) {
      console.log(await diagnose(t));
      throw err;
    } finally {
      const restarts = supervisor.stop();
      if (restarts.length > 0) console.log(`services restarted after exiting:\n${restarts.join('\n')}`);
    }
    await expectStoredAsReference(t.ch, ref);
    const letters = [...(await deadLetterCounts(t.ch)).values()].reduce((a, b) => a + b, 0);
    expect(letters).toBe([...ref.malformed.values()].reduce((a, b) => a + b, 0));
  });
});
