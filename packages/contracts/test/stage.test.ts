import {
  deadLetterBuilder,
  fileLineOrigin,
  findDuplicateKey,
  kafkaPosition,
  parseJsonPayload,
  requestItemOrigin,
  stageResultsOf,
  type AdaptResult,
  type NativeEvent,
} from '../src';

test('positions and origins have one format each', () => {
  expect(kafkaPosition('usage.raw', 3, '11')).toBe('usage.raw/3/11');
  expect(kafkaPosition('usage.raw', 0, 7n)).toBe('usage.raw/0/7');
  expect(requestItemOrigin('req-1', { index: 2 })).toBe('req-1#2');
  expect(requestItemOrigin('req-1', { line: 5 })).toBe('req-1:5');
  expect(fileLineOrigin('export.ndjson', 9)).toBe('export.ndjson:9');
});

test('the dead-letter builder takes the stage context once; an item may name its own sender', () => {
  const at = new Date('2026-01-02T03:04:05Z');
  const build = deadLetterBuilder({
    stage: 'import',
    source: 'lms',
    districtId: 'd1',
    inputFormat: 'native',
    now: () => at,
  });
  const reason = { code: 'malformed_json', message: 'line 2: not valid JSON', line: 2 };
  expect(build({ reason, payload: '{x', origin: 'f:2' })).toEqual({
    v: 1,
    failed_at: '2026-01-02T03:04:05.000Z',
    stage: 'import',
    source: 'lms',
    district_id: 'd1',
    reason,
    payload: '{x',
    payload_truncated: false,
    origin: 'f:2',
    input_format: 'native',
  });
  const other = build({ reason, payload: { a: 1 }, source: 'vendor', districtId: null });
  expect([other.source, other.district_id, other.payload, 'origin' in other]).toEqual([
    'vendor',
    null,
    '{"a":1}',
    false,
  ]);
});

test("an adapter's lists become one StageResult per item", () => {
  const event = { event_id: 'e1' } as unknown as NativeEvent;
  const adapted: AdaptResult = {
    events: [event],
    rejects: [{ reason: { code: 'invalid_field', field: 'type', message: 'type: bad' }, payload: { type: 1 } }],
    skipped: [{ reason: 'proxy_denied', message: 'denied', line: 3 }],
  };
  expect(stageResultsOf(adapted)).toEqual([
    { kind: 'ok', value: event },
    {
      kind: 'dead_letter',
      reason: { code: 'invalid_field', field: 'type', message: 'type: bad' },
      payload: { type: 1 },
    },
    { kind: 'skip', reason: 'proxy_denied', message: 'denied' },
  ]);
});

test('parseJsonPayload refuses nesting over maxDepth before parsing, naming the place', () => {
  expect(parseJsonPayload('[[1]]', { maxDepth: 2 })).toEqual({ ok: true, value: [[1]] });
  const deep = parseJsonPayload('{"a":\n [[1]]}', { maxDepth: 2, depthSetting: 'MAX' });
  expect(deep).toEqual({
    ok: false,
    detail: 'JSON nested deeper than 2 levels (MAX) at line 2, column 3 (character 8)',
    reason: {
      code: 'malformed_json',
      line: 2,
      message: 'line 2: JSON nested deeper than 2 levels (MAX) at line 2, column 3 (character 8)',
    },
  });
  const line = parseJsonPayload('[[[1]]]', { maxDepth: 2, line: 4 });
  expect(line.ok ? null : line.reason).toEqual({
    code: 'malformed_json',
    line: 4,
    message: 'line 4: JSON nested deeper than 2 levels at column 3',
  });
  const bad = parseJsonPayload('{x', { line: 7 });
  expect(
    bad.ok ? null : [bad.reason.code, bad.reason.line, bad.reason.message.startsWith('line 7: not valid JSON (')],
  ).toEqual(['malformed_json', 7, true]);
});

test('parseJsonPayload and findDuplicateKey read past a leading byte order mark ("UTF-8 with BOM" files)', () => {
  expect(parseJsonPayload('\uFEFF{"a":1}', { line: 1 })).toEqual({ ok: true, value: { a: 1 } });
  expect(parseJsonPayload('\uFEFF[[1]]', { maxDepth: 2 })).toEqual({ ok: true, value: [[1]] });
  const dup = parseJsonPayload('\uFEFF{"a":1,"a":2}', { rejectDuplicateKeys: true });
  expect(dup.ok ? null : dup.reason).toMatchObject({ code: 'invalid_field', field: 'a' });
  expect(findDuplicateKey('\uFEFF{"a":1,"a":2}')).toBe('a');
  // Only a leading mark is the file's: one inside the text is still not JSON.
  expect(parseJsonPayload('{"a":1}\uFEFF').ok).toBe(false);
});
