import { metaHeaderValue } from '../src/csv';

test("a CSV answer's meta header is printable ASCII and parses back to the same fields", () => {
  const meta = {
    district_id: 'd-1',
    cost_note: 'licence × 2 — été 😀 "quoted" \\ back',
    usage_bins: [{ from: 0, to: 10.5 }],
    nothing: null,
  };
  const value = metaHeaderValue(meta);
  expect(value).toMatch(/^[\x20-\x7e]*$/);
  expect(JSON.parse(value)).toEqual(meta);
});
