import type { EachBatchPayload } from 'kafkajs';
import { clickhouseErrorCode } from '@edusage/clickhouse';
import type { Logger } from '@edusage/logging';
import { retryWithBackoff } from '@edusage/runtime';
import { mustRejoin, PartitionRefused } from './errors';
import { SAME_ID_RUNNING } from './joined-inserts';
import type { MembershipFence } from './fence';
import type { TopicHandler } from './handlers';

/** Thrown to leave a batch uncommitted when the worker stops or the partition was taken away. */
export class BatchAbandoned extends Error {}

/** Everything one batch's steps share. */
export interface BatchContext {
  topic: string;
  partition: number;
  handler: TopicHandler;
  log: Logger;
  /** Runs one step of the batch, retried with back-off while heartbeating, until it succeeds or the batch is abandoned. */
  persist: <T>(what: string, fn: () => Promise<T>) => Promise<T>;
  /** Whether the batch must make no further write, fold or commit (stopped, sought past, or revoked). */
  fenced: () => boolean;
  /** The membership epoch the batch started under (`MembershipFence`). */
  epoch: number;
  /** Aborted when the worker stops (for a step's own queries, e.g. a schema check). */
  stopped: AbortSignal;
}

/** What a batch's steps need from the worker that runs them. */
export interface BatchContextDeps {
  logger: Logger;
  fence: MembershipFence;
  /** Aborted when the worker stops: nothing more is written, and a back-off wait ends at once. */
  stopped: AbortSignal;
  /** Called for each failed attempt that will be retried (the worker counts them). */
  onRetry: () => void;
  /** A heartbeat failed; the worker decides whether that means the membership is lost. */
  onHeartbeatError: (err: unknown) => void;
  /** Throws a `PartitionRefused` if the sink's tables drifted (`refuseIfDrifted`); `cause` says why it was asked. */
  checkSchema: (cause: string) => Promise<void>;
  /** How long a drift must still be there before the partition is refused (default DRIFT_CONFIRM_MS). */
  driftConfirmMs?: number;
}

/**
 * A table found drifted while a step keeps failing is checked again until it has been so this long:
 * one renamed away and created again (an operator moving old rows away) is waited for, not refused.
 */
export const DRIFT_CONFIRM_MS = 10_000;

/**
 * The context of one batch: its fence (stop, seek, revocation) and `persist`, the one way its steps
 * reach ClickHouse or Kafka (docs/ARCHITECTURE.md "Errors are classified"): transient failures are
 * retried with back-off, a refused partition and an abandoned batch are not.
 */
export function batchContext(payload: EachBatchPayload, handler: TopicHandler, deps: BatchContextDeps): BatchContext {
  const { batch, heartbeat, isRunning, isStale } = payload;
  const { topic, partition } = batch;
  const log = deps.logger.child({ topic, partition });
  const epoch = deps.fence.current();
  const fenced = () => deps.stopped.aborted || !isRunning() || isStale() || deps.fence.isFenced(epoch);
  const beat = () => void heartbeat().catch(deps.onHeartbeatError);

  const confirmMs = deps.driftConfirmMs ?? DRIFT_CONFIRM_MS;

  /** What `checkSchema` found: the drift, 'intact', or 'unknown' (the check itself failed or was stopped). */
  const driftOf = async (cause: string): Promise<PartitionRefused | 'intact' | 'unknown'> => {
    try {
      await deps.checkSchema(cause);
      return 'intact';
    } catch (err) {
      if (err instanceof PartitionRefused) return err;
      // A stop abandons the check (its query gets the stop signal): nothing to say then.
      if (!deps.stopped.aborted)
        log.warn({ err: (err as Error).message }, 'checking the schema failed: retrying without knowing');
      return 'unknown';
    }
  };

  const persist = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    // Heartbeat all along, during attempts and back-off waits alike: a failing or hanging ClickHouse
    // must never cost the group membership, and the heartbeat is how a revocation is learnt.
    const timer = setInterval(beat, 1_000);
    let refused: PartitionRefused | null = null;
    /** Since when the failing step's tables have been found drifted, or null. */
    let driftSince: number | null = null;
    try {
      return await retryWithBackoff(
        async () => {
          // No write, read or commit once the partition may belong to someone else.
          if (fenced()) throw new BatchAbandoned();
          try {
            return await fn();
          } catch (err) {
            if (err instanceof PartitionRefused) refused = err;
            if (mustRejoin(err)) deps.fence.revoke();
            throw err;
          }
        },
        {
          initialMs: 250,
          maxMs: 15_000,
          shouldAbort: () => refused !== null || fenced(),
          signal: deps.stopped,
          onRetry: async (err, attempt, delayMs) => {
            // ClickHouse refusing a statement may mean a table changed under the sink, which no retry
            // mends: refuse the partition then, naming the drift (the step and the error code only:
            // the reason is served by /readyz, ClickHouse's message may quote data), once it lasts.
            // A check that could not tell leaves the drift's start as it was. Another INSERT of the
            // table still running (216) says nothing about the tables: no check then.
            const code = clickhouseErrorCode(err);
            let drifted = false;
            if (code !== undefined && code !== SAME_ID_RUNNING) {
              const found = await driftOf(`${what} failed with ClickHouse error code ${code}`);
              // Stopped, sought past or revoked meanwhile: the partition is no longer this batch's to refuse.
              if (fenced()) throw new BatchAbandoned();
              if (found === 'intact') driftSince = null;
              else if (found !== 'unknown') {
                drifted = true;
                driftSince ??= Date.now();
                if (Date.now() - driftSince >= confirmMs) {
                  refused = found;
                  throw found;
                }
              }
            }
            deps.onRetry();
            log.warn(
              { err: (err as Error).message, attempt, delayMs: Math.round(delayMs) },
              drifted ? `${what} failed on a drifted schema: checking again` : `${what} failed: retrying`,
            );
            beat();
          },
        },
      );
    } catch (err) {
      if (refused) throw refused;
      if (fenced()) throw new BatchAbandoned();
      throw err;
    } finally {
      clearInterval(timer);
    }
  };

  return { topic, partition, handler, log, persist, fenced, epoch, stopped: deps.stopped };
}
