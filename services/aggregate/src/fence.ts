import type { Consumer } from 'kafkajs';

/**
 * Tells a batch in flight that its partition may have been given to someone else.
 *
 * kafkajs' `isStale()` only means "a seek was requested"; a worker stuck in ClickHouse retries learns of
 * a rebalance only from its own heartbeats (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, ...) or from
 * rejoining. Either bumps the epoch: every batch started under an older epoch must abandon its
 * remaining writes and its commit (the new owner re-reads what is stored). Eager rebalancing revokes
 * every partition of the member, so one epoch per member is enough.
 */
export class MembershipFence {
  private epoch = 0;

  constructor(consumer: Consumer) {
    consumer.on(consumer.events.GROUP_JOIN, () => this.revoke());
  }

  /** The epoch a batch starts under. */
  current(): number {
    return this.epoch;
  }

  /** Whether a batch started under `epoch` has lost its partition since. */
  isFenced(epoch: number): boolean {
    return epoch !== this.epoch;
  }

  revoke(): void {
    this.epoch += 1;
  }
}
