import type { Producer } from 'kafkajs';

/**
 * Why this exists: an idempotent kafkajs 2.2.4 producer rolls a partition's sequence number back on
 * any failed produce request (`producer/sendMessages.js`), also one the broker wrote before its answer
 * was lost. Within kafkajs' retries that is right (the retry is the same batch, which the broker
 * acknowledges once). But once kafkajs gives up, the next send to that partition reuses the sequence
 * numbers: a batch of as many records is taken by the broker for the one it already has, acknowledged
 * and never written (an event answered 202 and lost); a batch of another size is refused as out of
 * order until one of the same size comes. So a producer whose send failed is not used again: the next
 * send gets a new kafkajs producer (a new producer id, sequences from 0), and the old one is
 * disconnected. Found by review (a broker restart longer than
 * kafkajs' retries, ~50 s, after it wrote a request).
 *
 * And one send at a time per producer: kafkajs rolls the numbers back inside its per-broker lock and
 * releases it before its own retry, so a concurrent send waiting for the lock took the rolled-back
 * numbers at once (the broker acknowledged it as the failed request's duplicate, unwritten) while the
 * retry took the next ones. Serialized, the only send that can follow a failure is the failed send's
 * own retry, or, once it gave up, a send on a new producer. The cost is the overlap of concurrent
 * sends' round trips (docs/ARCHITECTURE.md "a producer whose send failed").
 */
export interface Renewal {
  /** The kafkajs producer sends use now. */
  current: Producer;
  /** A send of `current` failed: the next send renews it first. */
  stale: boolean;
  renewing: Promise<void> | undefined;
  /** Resolves when the send holding the producer releases it: the next one waits for it. */
  turn: Promise<void>;
  /** `disconnect()` was called: no more sends, no renewal. */
  closed: boolean;
  make: () => Promise<Producer>;
  /** Producers made so far (the first included): what a test watches. */
  made: number;
}

const renewals = new WeakMap<Producer, Renewal>();

/**
 * A producer that forwards every call to its current kafkajs producer, renewed after a failed send
 * (see above) by `leaseProducer`. Its identity stays the same for its holder.
 */
export async function renewingProducer(make: () => Promise<Producer>): Promise<Producer> {
  const renewal: Renewal = {
    current: await make(),
    stale: false,
    renewing: undefined,
    turn: Promise.resolve(),
    closed: false,
    make,
    made: 1,
  };
  const facade = new Proxy({} as Producer, {
    get(_target, prop) {
      if (prop === 'disconnect') return () => close(renewal);
      const value: unknown = Reflect.get(renewal.current, prop);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(renewal.current) : value;
    },
  });
  renewals.set(facade, renewal);
  return facade;
}

/** How many kafkajs producers a renewing producer has made (1 until a send failed); undefined for another producer. */
export function producersMade(producer: Producer): number | undefined {
  return renewals.get(producer)?.made;
}

/** The kafkajs producer one send uses, and what ends the send (`failed`: its outcome is unknown). */
export interface ProducerLease {
  producer: Producer;
  release(failed: boolean): void;
}

/**
 * The kafkajs producer to send with now: `producer` itself unless it is a renewing one, whose current
 * producer is first renewed if a send of it failed. Renewing needs the broker (a new producer id): if
 * it cannot, this throws and the send fails, sending nothing.
 */
export async function leaseProducer(producer: Producer, signal?: AbortSignal): Promise<ProducerLease> {
  const renewal = renewals.get(producer);
  if (!renewal) return { producer, release: () => undefined };
  // Take a turn: the sends before this one have released the producer.
  const before = renewal.turn;
  let endTurn!: () => void;
  renewal.turn = new Promise<void>((resolve) => (endTurn = resolve));
  if (!(await turnCame(before, signal))) {
    // Its caller gave up (ingest answered 503): it leaves without sending, the turn passes on in order.
    void before.then(endTurn);
    throw new Error('the send was given up while it waited for its turn');
  }
  try {
    if (renewal.closed) throw new Error('the producer was disconnected');
    while (renewal.stale) await (renewal.renewing ??= renew(renewal).finally(() => (renewal.renewing = undefined)));
    if (renewal.closed) throw new Error('the producer was disconnected');
    if (signal?.aborted) throw new Error('the send was given up while the producer was renewed');
  } catch (err) {
    endTurn();
    throw err;
  }
  const leased = renewal.current;
  let released = false;
  return {
    producer: leased,
    release(failed) {
      if (released) return;
      released = true;
      if (failed) renewal.stale = true;
      endTurn();
    },
  };
}

/** Whether the turn came (`before` resolved) before `signal` gave the send up. */
function turnCame(before: Promise<void>, signal: AbortSignal | undefined): Promise<boolean> {
  if (!signal) return before.then(() => true);
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const giveUp = () => resolve(false);
    signal.addEventListener('abort', giveUp, { once: true });
    void before.then(() => {
      signal.removeEventListener('abort', giveUp);
      resolve(!signal.aborted);
    });
  });
}

/** Disconnects the current producer, also one a renewal in progress makes; no send after it. */
async function close(renewal: Renewal): Promise<void> {
  renewal.closed = true;
  await renewal.renewing?.catch(() => undefined);
  await renewal.current.disconnect();
}

async function renew(renewal: Renewal): Promise<void> {
  const next = await renewal.make();
  renewal.made += 1;
  const old = renewal.current;
  renewal.current = next;
  renewal.stale = false;
  // Renewed while holding the turn, so no send of the old one is out; not waited for all the same:
  // kafkajs' disconnect waits for requests still out (up to its request timeout).
  void old.disconnect().catch(() => undefined);
}
