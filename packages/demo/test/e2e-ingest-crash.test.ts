/**
 * Ingest SIGKILLed mid-request: a client sends the sample in batches and retries each batch on
 * connection errors and 503 until it gets a final answer; ingest is SIGKILLed several times while a
 * request is in flight (preferably caught after it wrote the batch to usage.raw and before it answered,
 * so the retry writes the same events again) and restarted. The final numbers must equal the
 * independent reference: every event once, however often the client had to send it.
 */
import type { Kafka } from '@edusage/kafka';
import {
  deadLetterCounts,
  PSEUDONYM_KEY,
  sendSamplePaced,
  setupE2E,
  type E2E,
  expectStoredAsReference,
} from './support/e2e';
import { buildReference, type Reference } from './support/reference';

jest.setTimeout(300_000);

type Admin = ReturnType<Kafka['admin']>;

/** When (fraction of the requests sent) each kill is due. */
const KILL_AT = [0.15, 0.35, 0.55, 0.75];
/** How long to look for a request caught between "written to usage.raw" and "answered" before killing anyway. */
const PROBE_MS = 8_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('end to end: SIGKILL of ingest while requests are in flight', () => {
  let e2e: E2E;
  let ref: Reference;
  let admin: Admin | null = null;

  beforeAll(async () => {
    e2e = await setupE2E('e2e_ingest_crash');
    ref = buildReference(e2e.sample, PSEUDONYM_KEY);
    admin = e2e.kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect().catch(() => undefined);
    await e2e?.teardown();
  });

  it('counts every event once after repeated ingest crashes with a retrying client', async () => {
    const rawEnd = async () =>
      (await admin!.fetchTopicOffsets(e2e.env.topics.raw)).reduce((s, o) => s + Number(o.high), 0);
    // Events the client saw accepted; usage.raw holds more only when a crash came after writing and
    // before answering (the Squid import, which also writes there, runs after the last kill).
    let acked = 0;
    let inFlight = false;
    let excess = 0;
    let sent = 0;
    let total = 1;
    const due = KILL_AT.map(() => {
      let reached!: () => void;
      const p = new Promise<void>((r) => (reached = r));
      return { p, reached };
    });
    const kills: { at: number; inBetween: boolean; probes: number; restarted: boolean }[] = [];
    let releaseTail!: () => void;
    const tail = new Promise<void>((r) => (releaseTail = r));

    const chaos = async () => {
      for (const [k, d] of due.entries()) {
        await d.p;
        let inBetween = false;
        let probes = 0;
        const pid = e2e.pipeline.pid('ingest')!;
        for (const until = Date.now() + PROBE_MS; !inBetween && Date.now() < until;) {
          while (!inFlight && Date.now() < until) await sleep(2);
          await sleep(Math.random() * 10);
          process.kill(pid, 'SIGSTOP');
          probes += 1;
          try {
            // The answer, if any, is sent only after the write: a frozen ingest cannot answer now.
            inBetween = inFlight && (await rawEnd()) - acked > excess;
          } finally {
            if (!inBetween) process.kill(pid, 'SIGCONT');
          }
        }
        await e2e.pipeline.kill('ingest');
        // Dead ingest, no answer pending: what usage.raw holds beyond the answers is the killed request's.
        excess = (await rawEnd()) - acked;
        kills.push({ at: sent / total, inBetween, probes, restarted: false });
        await sleep(500 + Math.random() * 1500); // the client meanwhile gets connection errors
        e2e.pipeline.start('ingest');
        await e2e.pipeline.waitReady();
        kills[k]!.restarted = true;
      }
    };

    const sending = sendSamplePaced(e2e, {
      batchSize: 40,
      pauseMs: () => 50 + Math.random() * 100,
      importSquidAfter: 0.95,
      holds: [
        ...KILL_AT.map((at, k) => ({ at, until: Promise.resolve(), reached: due[k]!.reached })),
        { at: 0.9, until: tail },
      ],
      onSending: (i, n) => {
        inFlight = true;
        total = n;
      },
      onAnswered: (i, n, accepted) => {
        acked += accepted;
        sent = i + 1;
        inFlight = false;
      },
    });
    const mayhem = chaos().finally(releaseTail);
    await Promise.all([sending, mayhem]);
    process.stdout.write(`ingest kills: ${JSON.stringify(kills)}; events in usage.raw beyond the answers: ${excess}\n`);
    expect(kills).toHaveLength(KILL_AT.length);
    expect(kills.every((k) => k.restarted)).toBe(true);
    // Each kill came after its due point and before the stream ended.
    // (`at` counts answered requests; the hold before request floor(total × due) triggered the kill.)
    kills.forEach((k, i) => expect(k.at).toBeGreaterThanOrEqual(Math.floor(total * KILL_AT[i]!) / total));
    kills.forEach((k) => expect(k.at).toBeLessThan(0.9));
    // At least one kill hit a request whose events were written but not answered (so were re-sent).
    expect(kills.filter((k) => k.inBetween).length).toBeGreaterThanOrEqual(1);

    await e2e.drain(180_000);

    await expectStoredAsReference(e2e.ch, ref);
    // A re-sent batch re-sends its malformed lines too: each reference dead letter is there at least once.
    const letters = [...(await deadLetterCounts(e2e.ch)).values()].reduce((a, b) => a + b, 0);
    const want = [...ref.malformed.values()].reduce((a, b) => a + b, 0);
    process.stdout.write(`dead letters ${letters} (reference ${want})\n`);
    expect(letters).toBeGreaterThanOrEqual(want);
  });
});
