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
  const left: StagesLeft = {};
  for (const stage of o.stages) left[stage.topic] = -1;
  for (const stage of o.stages) {
    const until = await endOffsets(o.kafka, stage.topic);
    for (;;) {
      o.signal?.throwIfAborted();
      left[stage.topic] = await uncommittedBefore(o.kafka, stage.groupId, stage.topic, until);
      if (left[stage.topic] === 0) break;
      if (Date.now() >= deadline) {
        // The later stages have not been looked at: count them as their topics' backlog now.
        for (const later of o.stages.slice(o.stages.indexOf(stage) + 1)) {
          left[later.topic] = await uncommittedBefore(
            o.kafka,
            later.groupId,
            later.topic,
            await endOffsets(o.kafka, later.topic),
          );
        }
        return left;
      }
      o.onProgress?.(`waiting for ${stage.groupId} to take ${left[stage.topic]} message(s) of ${stage.topic}…`);
      await sleep(o.pollMs ?? 2_000, undefined, o.signal ? { signal: o.signal } : undefined);
    }
  }
  return left;
}
