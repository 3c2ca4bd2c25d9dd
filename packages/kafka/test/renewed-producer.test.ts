/**
 * The renewal of a producer after a failed send, and its sends taking turns (renewed-producer.ts), as
 * pure logic on stand-in kafkajs producers; on the real broker: services/ingest/test/producer-renewal.test.ts.
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
  let hold: Promise<void> | null = null;
  const make = async (): Promise<Producer> => {
    if (hold) await hold;
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
  return {
    made,
    make,
    refuseNext: (n: number) => (refuse = n),
    holdMaking: (until: Promise<void>) => (hold = until),
  };
}

const idOf = (p: Producer) => (p as unknown as { id: number }).id;
const settled = () => new Promise((r) => setImmediate(r));

describe('renewing producer', () => {
  it('keeps its kafkajs producer while sends succeed, and forwards to it', async () => {
    const s = standIns();
    const producer = await renewingProducer(s.make);
    for (let i = 0; i < 3; i++) {
      const lease = await leaseProducer(producer);
      expect(idOf(lease.producer)).toBe(1);
      lease.release(false);
    }
    expect(producersMade(producer)).toBe(1);
    expect(idOf(producer)).toBe(1);
  });

  it('sends take turns: the next starts once the one before released the producer', async () => {
    const s = standIns();
    const producer = await renewingProducer(s.make);
    const first = await leaseProducer(producer);
    let secondStarted = false;
    const second = leaseProducer(producer).then((l) => {
      secondStarted = true;
      return l;
    });
    await settled();
    expect(secondStarted).toBe(false);
    first.release(false);
    (await second).release(false);
    expect(secondStarted).toBe(true);
  });

  it('the send after a failed one gets a new producer (not the failed one with its sequence numbers); the old one is disconnected', async () => {
    const s = standIns();
    const producer = await renewingProducer(s.make);
    const failing = await leaseProducer(producer);
    const waiting = leaseProducer(producer); // a concurrent request's send, queued behind it
    failing.release(true);
    const next = await waiting;
    expect(idOf(next.producer)).toBe(2);
    expect(idOf(producer)).toBe(2);
    expect(s.made[0]!.disconnected).toBe(true);
    next.release(false);
    expect(producersMade(producer)).toBe(2);
  });

  it('a renewal that cannot be made fails that send, and the next send tries again', async () => {
    const s = standIns();
    const producer = await renewingProducer(s.make);
    (await leaseProducer(producer)).release(true);
    s.refuseNext(1);
    await expect(leaseProducer(producer)).rejects.toThrow('broker unreachable');
    const again = await leaseProducer(producer);
    expect(idOf(again.producer)).toBe(2);
    again.release(false);
    expect(producersMade(producer)).toBe(2);
  });

  it('disconnect ends it: the current producer and one being made meanwhile are disconnected, later sends refused', async () => {
    const s = standIns();
    const producer = await renewingProducer(s.make);
    (await leaseProducer(producer)).release(true);
    let letGo!: () => void;
    s.holdMaking(new Promise<void>((r) => (letGo = r)));
    const renewing = leaseProducer(producer); // renews, held
    await settled();
    const closing = producer.disconnect();
    letGo();
    // Its renewal finished after the close began: it does not send on the new producer.
    await expect(renewing).rejects.toThrow('disconnected');
    await closing;
    expect(s.made.map((m) => m.disconnected)).toEqual([true, true]);
    await expect(leaseProducer(producer)).rejects.toThrow('disconnected');
  });

  it('a send given up while it waits for its turn leaves without sending; the turns go on in order', async () => {
    const s = standIns();
    const producer = await renewingProducer(s.make);
    const holder = await leaseProducer(producer);
    const giveUp = new AbortController();
    const abandoned = leaseProducer(producer, giveUp.signal);
    const order: string[] = [];
    const after = leaseProducer(producer).then((l) => {
      order.push('after');
      return l;
    });
    giveUp.abort();
    await expect(abandoned).rejects.toThrow('given up');
    await settled();
    expect(order).toEqual([]); // still the holder's turn
    holder.release(false);
    (await after).release(false);
    expect(order).toEqual(['after']);
  });

  it('a producer not made renewing is used as it is', async () => {
    const plain = { sendBatch: jest.fn() } as unknown as Producer;
    const lease = await leaseProducer(plain);
    expect(lease.producer).toBe(plain);
    lease.release(true);
    expect(producersMade(plain)).toBeUndefined();
  });
});
