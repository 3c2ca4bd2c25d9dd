/**
 * The renewal of a producer after a failed send (renewed-producer.ts), as pure logic on stand-in
 * kafkajs producers; the real broker's side is in acknowledged-send.test.ts.
 */
import type { Producer } from 'kafkajs';
import { leaseProducer, producersMade, renewingProducer } from '../src/renewed-producer';

interface StandIn {
  id: number;
  disconnected: boolean;
}

function standIns() {
  const made: StandIn[] = [];
  let refuse = 0;
  const make = async (): Promise<Producer> => {
    if (refuse > 0) {
      refuse--;
      throw new Error('broker unreachable (the test)');
    }
    const p: StandIn = { id: made.length + 1, disconnected: false };
    made.push(p);
    return {
      id: p.id,
      disconnect: async () => {
        p.disconnected = true;
      },
    } as unknown as Producer;
  };
  return { made, make, refuseNext: (n: number) => (refuse = n) };
}

const idOf = (p: Producer) => (p as unknown as { id: number }).id;

describe('renewing producer', () => {
  it('keeps its kafkajs producer while sends succeed', async () => {
    const s = standIns();
    const producer = await renewingProducer(s.make);
    for (let i = 0; i < 3; i++) {
      const lease = await leaseProducer(producer);
      expect(idOf(lease.producer)).toBe(1);
      lease.release(false);
    }
    expect(producersMade(producer)).toBe(1);
    // The facade forwards to the current one.
    expect((producer as unknown as { id: number }).id).toBe(1);
  });

  it('after a failed send, the next send gets a new producer; the old one is disconnected once its sends end', async () => {
    const s = standIns();
    const producer = await renewingProducer(s.make);
    const failing = await leaseProducer(producer);
    const alongside = await leaseProducer(producer); // another request's send on the same producer
    failing.release(true);
    const next = await leaseProducer(producer);
    expect(idOf(next.producer)).toBe(2);
    expect((producer as unknown as { id: number }).id).toBe(2);
    // Still in flight on the old one: not disconnected under it.
    expect(s.made[0]!.disconnected).toBe(false);
    alongside.release(false);
    await new Promise((r) => setImmediate(r));
    expect(s.made[0]!.disconnected).toBe(true);
    next.release(false);
    expect(producersMade(producer)).toBe(2);
  });

  it('a send that fails on a producer already renewed does not renew the new one', async () => {
    const s = standIns();
    const producer = await renewingProducer(s.make);
    const a = await leaseProducer(producer);
    const b = await leaseProducer(producer);
    a.release(true);
    const c = await leaseProducer(producer); // renewed: producer 2
    b.release(true); // producer 1's second failure
    const d = await leaseProducer(producer);
    expect([idOf(c.producer), idOf(d.producer)]).toEqual([2, 2]);
    c.release(false);
    d.release(false);
  });

  it('sends waiting for a renewal share it; one that cannot be made fails the send and is tried again by the next', async () => {
    const s = standIns();
    const producer = await renewingProducer(s.make);
    (await leaseProducer(producer)).release(true);
    s.refuseNext(1);
    await expect(leaseProducer(producer)).rejects.toThrow('broker unreachable');
    const [x, y] = await Promise.all([leaseProducer(producer), leaseProducer(producer)]);
    expect([idOf(x.producer), idOf(y.producer)]).toEqual([2, 2]);
    expect(producersMade(producer)).toBe(2);
    expect(s.made[0]!.disconnected).toBe(true);
  });

  it('a producer not made renewing is used as it is', async () => {
    const plain = { sendBatch: jest.fn() } as unknown as Producer;
    const lease = await leaseProducer(plain);
    expect(lease.producer).toBe(plain);
    lease.release(true);
    expect(producersMade(plain)).toBeUndefined();
  });
});
