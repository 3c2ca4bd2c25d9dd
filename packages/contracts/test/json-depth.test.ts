import { describeTooDeep, findTooDeep } from '../src/adapters/json-depth';

test('counts nesting of arrays and objects, names the bracket that goes over', () => {
  expect(findTooDeep('[[1]]', 2)).toBeNull();
  expect(findTooDeep('[{"a":[1]}]', 2)).toEqual({ maxDepth: 2, index: 6, line: 1, column: 7 });
  expect(findTooDeep('{"a":1}\n{"b":\n [[2]]}', 2)).toEqual({ maxDepth: 2, index: 16, line: 3, column: 3 });
});

test('brackets inside strings (with escaped quotes) do not count', () => {
  expect(findTooDeep('["[[[[", "\\"[[[[", "\\\\", {"k":"{{{{"}]', 2)).toBeNull();
});

test('the message names the limit variable and the place', () => {
  const t = findTooDeep('[[[]]]', 2)!;
  expect(describeTooDeep(t, undefined, 'INGEST_MAX_JSON_DEPTH')).toBe(
    'JSON nested deeper than 2 levels (INGEST_MAX_JSON_DEPTH) at line 1, column 3 (character 2)',
  );
  expect(describeTooDeep(t, 7, 'INGEST_MAX_JSON_DEPTH')).toBe(
    'JSON nested deeper than 2 levels (INGEST_MAX_JSON_DEPTH) at column 3',
  );
});
