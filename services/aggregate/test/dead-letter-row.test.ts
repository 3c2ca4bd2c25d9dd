import type { DeadLetter } from '@edusage/contracts';
import { deadLetterRow } from '../src/rows';

// A letter as versions before the storable reason wrote it: Node's JSON error quotes the input.
const email = 'maria.quintanilla@students.example.org';
const payload = `{"user":{"email":"${email}"},"app":{"domain":"x.org"} oops`;
const oldLetter: DeadLetter = {
  v: 1,
  failed_at: '2026-03-02T10:00:00.000Z',
  stage: 'ingest',
  source: 'agent',
  district_id: 'd1',
  reason: {
    code: 'malformed_json',
    line: 1,
    message: `line 1: not valid JSON (Unexpected token 'o', ..."students.example.org"},"app" is not valid JSON)`,
  },
  payload,
  payload_truncated: false,
  origin: 'req-1#0',
};

test('the stored row of a letter that quotes its input keeps no input text', () => {
  const row = deadLetterRow(oldLetter, { topic: 't.usage.dlq', partition: 0, offset: '5' }, '2026-03-02 10:00:01');
  const stored = Object.values(row).map(String).join('\n').toLowerCase();
  for (let i = 0; i + 6 <= email.length; i++) expect(stored).not.toContain(email.slice(i, i + 6));
  expect(row.reason_message).toMatch(/^line 1: not valid JSON/);
  expect([row.reason_code, row.reason_line, row.payload_bytes]).toEqual([
    'malformed_json',
    1,
    Buffer.byteLength(payload),
  ]);
});
