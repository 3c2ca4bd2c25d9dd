import type { AdaptResult } from './adapters/common';
import { makeDeadLetter, type DeadLetter } from './dead-letter';
import type { NativeEvent } from './native-event';

/**
 * What one pipeline stage (ingest, import, enrich, aggregate) makes of one input item: a value to
 * pass on, a dead letter (refused, with the original payload), or a skip (valid, but no usage).
 */
export type StageResult<T> =
  | { kind: 'ok'; value: T }
  | {
      kind: 'dead_letter';
      reason: DeadLetter['reason'];
      payload: unknown;
      /** The item's position in its batch, where the adapter knows it (HTTP answers name it). */
      index?: number;
    }
  | { kind: 'skip'; reason: string; message: string };

export type StageDeadLetter = Extract<StageResult<unknown>, { kind: 'dead_letter' }>;

export const stageOk = <T>(value: T): Extract<StageResult<T>, { kind: 'ok' }> => ({ kind: 'ok', value });
export const stageDeadLetter = (reason: DeadLetter['reason'], payload: unknown, index?: number): StageDeadLetter => ({
  kind: 'dead_letter',
  reason,
  payload,
  ...(index !== undefined ? { index } : {}),
});

/**
 * An adapter's lists as one StageResult per item (events, then rejects, then skips): the boundary
 * between the adapters, which return lists, and a stage that routes item by item.
 */
export function stageResultsOf(adapted: AdaptResult): StageResult<NativeEvent>[] {
  return [
    ...adapted.events.map((event) => stageOk(event)),
    ...adapted.rejects.map((r) => stageDeadLetter(r.reason, r.payload, r.index)),
    ...adapted.skipped.map((s): StageResult<NativeEvent> => ({ kind: 'skip', reason: s.reason, message: s.message })),
  ];
}

/** Where a Kafka record came from: `<topic>/<partition>/<offset>` (the one format in dead-letter origins). */
export function kafkaPosition(topic: string, partition: number, offset: string | bigint | number): string {
  return `${topic}/${partition}/${offset}`;
}

/** An item of an HTTP request: `<request id>#<0-based index>` in a JSON body, `<request id>:<line>` in NDJSON. */
export function requestItemOrigin(requestId: string, at: { index: number } | { line: number }): string {
  return 'line' in at ? `${requestId}:${at.line}` : `${requestId}#${at.index}`;
}

/** A line of an imported file: `<file>:<1-based line>`. */
export function fileLineOrigin(file: string, line: number): string {
  return `${file}:${line}`;
}

/** What a stage knows once for all its dead letters; `source`/`districtId` can be refined per letter. */
export interface DeadLetterContext {
  stage: DeadLetter['stage'];
  source: string;
  districtId: string | null;
  /** How to read the payload again (`dlq replay`); omitted where the stage has no replayable format. */
  inputFormat?: string;
  now?: () => Date;
}

/** One refused item: a StageResult's reason and payload, where it came from, and what is known of its sender. */
export interface DeadLetterItem {
  reason: DeadLetter['reason'];
  payload: unknown;
  origin?: string;
  /** Only where the item itself names them (enrich reads them from the message). */
  source?: string;
  districtId?: string | null;
}

/** The one builder of dead letters: the stage context once, then one call per refused item. */
export function deadLetterBuilder(ctx: DeadLetterContext): (item: DeadLetterItem) => DeadLetter {
  return (item) =>
    makeDeadLetter({
      stage: ctx.stage,
      source: item.source ?? ctx.source,
      districtId: item.districtId !== undefined ? item.districtId : ctx.districtId,
      reason: item.reason,
      payload: item.payload,
      ...(item.origin !== undefined ? { origin: item.origin } : {}),
      ...(ctx.inputFormat !== undefined ? { inputFormat: ctx.inputFormat } : {}),
      ...(ctx.now ? { now: ctx.now() } : {}),
    });
}
