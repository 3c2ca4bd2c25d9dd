import { recordBytes } from '@edusage/kafka';
import type { InMessage, OutMessage, ProcessContext, ProcessedChunk } from './process';
import { oversizedDeadLetter } from './process';

const outputBytes = (out: Pick<ProcessedChunk, 'enriched' | 'dlq'>): number =>
  [...out.enriched, ...out.dlq].reduce((sum, m) => sum + recordBytes(m), 0);

/**
 * The output of consecutive raw messages that is produced in one call: at most `budget` bytes
 * (UTF-8 bytes of keys and values plus record overhead, `@edusage/kafka` recordBytes) over all its
 * records, so no partition's batch can exceed the broker's limit. Checked for every message.
 */
export class OutputChunk {
  readonly enriched: OutMessage[] = [];
  readonly dlq: OutMessage[] = [];
  /** Offset of the last raw message whose output is in the chunk ('' while empty). */
  lastOffset = '';
  messages = 0;
  private bytes = 0;

  constructor(private readonly budget: number) {}

  /**
   * Adds one raw message's output ('added'), or adds nothing when it would overflow a non-empty
   * chunk ('full'). Output too large for even an empty chunk is replaced by a dead letter saying so
   * ('oversized'): a permanent error, never a produce call retried forever.
   */
  add(
    m: InMessage,
    out: ProcessedChunk,
    ctx: Pick<ProcessContext, 'topic' | 'partition'>,
  ): 'added' | 'full' | 'oversized' {
    let records: Pick<ProcessedChunk, 'enriched' | 'dlq'> = out;
    let bytes = outputBytes(out);
    const oversized = bytes > this.budget;
    if (oversized) {
      records = { enriched: [], dlq: [oversizedDeadLetter(m, ctx, bytes, this.budget)] };
      bytes = outputBytes(records);
    }
    if (this.messages > 0 && this.bytes + bytes > this.budget) return 'full';
    for (const e of records.enriched) this.enriched.push(e);
    for (const d of records.dlq) this.dlq.push(d);
    this.bytes += bytes;
    this.messages++;
    this.lastOffset = m.offset;
    return oversized ? 'oversized' : 'added';
  }
}
