import { deadLetterSchema } from '@edusage/contracts';
import { produceBudget, recordBytes } from '@edusage/kafka';
import { oversizedDeadLetter, processMessages } from '../src';
import { OutputChunk } from '../src/worker/output-chunk';
import { KEY, raw, sampleView } from './helpers';

// Review finding: a record on usage.raw (under its 1 MB limit) that is not a valid event and names a
// ~900 KB `event.source` became a dead letter repeating that source as its Kafka key and in its value
// (~1.8 MB). The oversized-letter path repeated it again, the send failed MESSAGE_TOO_LARGE, which is
// permanent: the consumer crashed, enrich exited, and the partition moved on to crash the next one.

const ctx = { topic: 't.usage.raw', partition: 0, pseudonymKey: KEY, view: () => sampleView() };
const BUDGET = produceBudget(1_048_588); // Kafka's default max.message.bytes
const invalid = (event: Record<string, unknown>) => ({
  value: JSON.stringify({ v: 1, event }),
  offset: '7',
});
const letterOf = (m: { key: string; value: string }) => deadLetterSchema.parse(JSON.parse(m.value));

describe('the sender an invalid message names', () => {
  it('keeps a known source, or a short plain token; anything else is unknown', () => {
    const cases: [unknown, string][] = [
      ['caliper', 'caliper'],
      ['my-lms_2.0', 'my-lms_2.0'],
      ['x'.repeat(64), 'x'.repeat(64)],
      ['x'.repeat(65), 'unknown'],
      ['x'.repeat(900_000), 'unknown'],
      ['two words', 'unknown'],
      ['line\nbreak', 'unknown'],
      [42, 'unknown'],
    ];
    for (const [source, expected] of cases) {
      const out = processMessages([invalid({ source, district_id: 'd1' })], ctx);
      expect(out.dlq).toHaveLength(1);
      expect(out.dlq[0]!.key).toBe(expected);
      expect(letterOf(out.dlq[0]!).source).toBe(expected);
    }
  });

  it("keeps a district id only when it is one by the contracts' rule (1-256 characters)", () => {
    const cases: [unknown, string | null][] = [
      ['d1', 'd1'],
      ['中'.repeat(256), '中'.repeat(256)],
      ['y'.repeat(257), null],
      ['y'.repeat(900_000), null],
      ['   ', null],
      [{}, null],
    ];
    for (const [district, expected] of cases) {
      const out = processMessages([invalid({ source: 'agent', district_id: district })], ctx);
      expect(letterOf(out.dlq[0]!).district_id).toBe(expected);
    }
  });

  it('turns an invalid record with a ~900 KB source into a dead letter that fits one produce call', () => {
    const m = invalid({ source: 'x'.repeat(900_000), district_id: 'y'.repeat(900_000) });
    const out = processMessages([m], ctx);
    const chunk = new OutputChunk(BUDGET);
    expect(chunk.add(m, out, ctx)).toBe('added');
    const bytes = chunk.dlq.reduce((s, r) => s + recordBytes(r), 0);
    expect(bytes).toBeLessThanOrEqual(BUDGET);
    expect(bytes).toBeLessThan(500_000);
    expect(letterOf(chunk.dlq[0]!)).toMatchObject({ source: 'unknown', district_id: null, payload_truncated: true });
  });
});

describe('the oversized-output letter', () => {
  it('always fits the budget: with the sender when it can, else without it and with a short payload prefix', () => {
    // Valid by the contracts but long once JSON-escaped: 256 control characters take 1,536 bytes.
    const district = '\u0001'.repeat(256);
    const event = raw({ user: { sourced_id: 'stu1' }, app: { app_id: 'ixl' }, district_id: district });
    const m = { value: JSON.stringify(event), offset: '9' };
    for (const budget of [600, 800, 1_000, 1_500, 2_000, 3_000, 5_000, 50_000]) {
      const letter = oversizedDeadLetter(m, ctx, 10_000_000, budget);
      expect(recordBytes(letter)).toBeLessThanOrEqual(budget);
      const parsed = letterOf(letter);
      expect(parsed.reason.code).toBe('payload_too_large');
      expect(parsed.origin).toBe('t.usage.raw/0/9');
      if (budget >= 5_000) expect(parsed).toMatchObject({ source: 'agent', district_id: district });
      if (budget <= 1_500)
        expect(parsed).toMatchObject({ source: 'unknown', district_id: null, payload_truncated: true });
      expect(letter.key).toBe(parsed.source);
    }
  });

  it('fits for an invalid record naming a ~900 KB source', () => {
    const m = invalid({ source: 'x'.repeat(900_000) });
    const letter = oversizedDeadLetter(m, ctx, 1_800_000, BUDGET);
    expect(recordBytes(letter)).toBeLessThanOrEqual(BUDGET);
    expect(letter.key).toBe('unknown');
  });
});
