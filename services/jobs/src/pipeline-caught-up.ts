import { setTimeout as sleep } from 'node:timers/promises';
import { endOffsets, uncommittedBefore, type Kafka } from '@edusage/kafka';

export interface PipelineStage {
  /** The topic the stage consumes, and its consumer group. */
  topic: string;
  groupId: string;
}

export interface CaughtUpOptions {
  kafka: Kafka;
  /** In pipeline order (enrich on usage.raw, then the aggregate on usage.enriched). */
  stages: readonly PipelineStage[];
  timeoutMs: number;
  /** Between two looks at a stage's committed offsets. */
  pollMs?: number;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

/** Per stage (by topic), the messages it had not committed when the wait ended (all 0: caught up). */
export type StagesLeft = Record<string, number>;

/**
 * Waits until every message on the pipeline's topics when this is called has gone through: each
 * stage in turn has committed everything up to the end offsets of its topic, read once that stage's
 * turn comes (so a stage is waited for once the one before it has handed it what was on its way, and a
 * busy topic's newer messages do not hold the wait up). A commit comes after the stage's own writes
 * (the aggregate's: stored and folded into the rollups), so a report read after the wait counts what
 * had been sent before it. Returns what each stage had left when `timeoutMs` ran out (0s: caught up).
 */
export async function pipelineCaughtUp(o: CaughtUpOptions): Promise<StagesLeft> {
  const deadline = Date.now() + o.timeoutMs;
  const pause = () => sleep(o.pollMs ?? 2_000, undefined, o.signal ? { signal: o.signal } : undefined);
  /**
   * One look at Kafka, looked at again while the wait lasts if it fails: a broker that just started
   * answers "not the coordinator" or "loading" for a while. Past the deadline the error is the caller's.
   */
  const look = async <T>(what: () => Promise<T>): Promise<T> => {
    for (;;) {
      o.signal?.throwIfAborted();
      try {
        return await what();
      } catch (err) {
        if (Date.now() >= deadline) throw err;
        o.onProgress?.(`could not read the consumer lag yet (${(err as Error).message}); trying again…`);
        await pause();
      }
    }
  };
  const left: StagesLeft = {};
  for (const stage of o.stages) left[stage.topic] = -1;
  for (const stage of o.stages) {
    const until = await look(() => endOffsets(o.kafka, stage.topic));
    for (;;) {
      left[stage.topic] = await look(() => uncommittedBefore(o.kafka, stage.groupId, stage.topic, until));
      if (left[stage.topic] === 0) break;
      if (Date.now() >= deadline) {
        // The later stages have not been looked at: count them as their topics' backlog now.
        for (const later of o.stages.slice(o.stages.indexOf(stage) + 1)) {
          const ends = await look(() => endOffsets(o.kafka, later.topic));
          left[later.topic] = await look(() => uncommittedBefore(o.kafka, later.groupId, later.topic, ends));
        }
        return left;
      }
      o.onProgress?.(`waiting for ${stage.groupId} to take ${left[stage.topic]} message(s) of ${stage.topic}…`);
      await pause();
    }
  }
  return left;
}
