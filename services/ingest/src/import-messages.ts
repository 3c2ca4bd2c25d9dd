import {
  deadLetterBuilder,
  fileLineOrigin,
  stageDeadLetter,
  stageOk,
  userPartitionKey,
  type DeadLetter,
  type NativeEvent,
  type RawMessage,
  type Rejection,
  type Source,
  type StageResult,
} from '@edusage/contracts';
import { recordBytes, type JsonMessage } from '@edusage/kafka';
import type { EventSink } from './sink';

/** What a rejected line's dead letter records as its input format (`dlq replay` re-reads it with that adapter). */
const DEAD_LETTER_FORMAT: Partial<Record<string, string>> = {
  ndjson: 'native',
  'caliper-ndjson': 'caliper',
  'xapi-ndjson': 'xapi',
};

/** Where a message comes from: a line (CSV: record) of the file, and its original text. */
export interface FileLine {
  line: number;
  text: string;
}

/** The Kafka messages of one imported file, each naming its origin `<file name>:<line>`. */
export interface FileMessages {
  /** An accepted event as its usage.raw message, or a dead letter when Kafka could not carry it. */
  event(at: FileLine, event: NativeEvent, receivedAt: string): StageResult<JsonMessage>;
  /** A rejected line's usage.dlq message: the whole original line as payload, its line in the reason. */
  deadLetter(at: FileLine, reason: DeadLetter['reason']): JsonMessage;
}

export function fileMessages(opts: {
  /** The file's base name, for the origins. */
  fileName: string;
  format: string;
  districtId: string;
  source: Source;
  /** Read per event: its maxRecordBytes bounds a usage.raw message. */
  sink: EventSink;
}): FileMessages {
  const letter = deadLetterBuilder({
    stage: 'import',
    source: opts.source,
    districtId: opts.districtId,
    inputFormat: DEAD_LETTER_FORMAT[opts.format] ?? opts.format,
  });
  return {
    event(at, event, receivedAt) {
      const value: RawMessage = {
        v: 1,
        event,
        received_at: receivedAt,
        channel: 'file',
        origin: fileLineOrigin(opts.fileName, at.line),
      };
      const message = { key: userPartitionKey(event), value };
      const tooLarge = oversized(message, at.text, opts.sink.maxRecordBytes);
      return tooLarge ? stageDeadLetter(tooLarge.reason, at.text) : stageOk(message);
    },
    deadLetter(at, reason) {
      return {
        key: opts.source,
        value: letter({
          reason: { ...reason, line: at.line },
          payload: at.text,
          origin: fileLineOrigin(opts.fileName, at.line),
        }),
      };
    },
  };
}

/**
 * A line whose event is larger than Kafka accepts would fail the whole import on every retry: it
 * is rejected on its own instead (payload_too_large, dead-lettered with its line). Serializing
 * every event twice would cost the hot path, so only lines long enough to possibly not fit
 * (6 bytes per character once JSON-escaped, plus the envelope) are measured.
 */
function oversized(message: JsonMessage, lineText: string, budget: number | undefined): Rejection | null {
  if (budget === undefined || lineText.length * 6 + 4_096 < budget) return null;
  const bytes = recordBytes({ key: message.key, value: JSON.stringify(message.value) });
  if (bytes <= budget) return null;
  return {
    reason: {
      code: 'payload_too_large',
      message: `the event is ${bytes} bytes in Kafka; at most ${budget} fit (the broker's max.message.bytes)`,
    },
    payload: lineText,
  };
}
