/**
 * The usage_events row's dates as ClickHouse 18.16 parses them, written from the milliseconds rather
 * than through a Date and toISOString: every answer must be the one a Date gives, and a day or time
 * that is not storable must still be refused by name.
 */
import { usageEventRow, toClickHouseDateTime } from '../src/rows';
import { PermanentError } from '../src/errors';
import { makeEnrichedEvents } from './enriched-fixtures';

/** The conversion through a Date, written here: what every input must give. */
function throughDate(iso: string): string | 'refused' {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1970 || d.getUTCFullYear() > 2105) return 'refused';
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())}`;
}
const pad = (n: number) => String(n).padStart(2, '0');

function converted(iso: string): string | 'refused' {
  try {
    return toClickHouseDateTime(iso, 'occurred_at');
  } catch (err) {
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).field).toBe('occurred_at');
    return 'refused';
  }
}

test('every instant converts as through a Date: real and unreal days, the range, times, fractions, offsets', () => {
  const times = ['T00:00:00Z', 'T23:59:59.999Z', 'T23:59:60Z', 'T24:00:00Z', 'T12:60:00Z', 'T12:30:00.5Z'];
  const more = ['T12:30:00.1234Z', 'T12:30:00+02:00', 'T00:30:00-05:00', 'T12:30Z', 'T12:30:00z'];
  let refused = 0;
  let cases = 0;
  const differ: string[] = [];
  for (const year of ['1969', '1970', '2000', '2024', '2026', '2100', '2105', '2106'])
    for (let month = 0; month <= 13; month++)
      for (let day = 0; day <= 32; day++)
        for (const time of [...times, ...more]) {
          const iso = `${year}-${pad(month)}-${pad(day)}${time}`;
          const expected = throughDate(iso);
          const got = converted(iso);
          if (got !== expected) differ.push(`${iso}: ${got} instead of ${expected}`);
          if (expected === 'refused') refused++;
          cases++;
        }
  expect(differ).toEqual([]);
  // Both ways taken many times: stored instants and refusals (30 February, month 13, 1969, 2106 …).
  expect(refused).toBeGreaterThan(cases / 4);
  expect(cases - refused).toBeGreaterThan(cases / 4);
  expect(converted('2026-09-01T01:30:00+02:00')).toBe('2026-08-31 23:30:00');
  expect(converted('2024-02-29T10:00:00.000Z')).toBe('2024-02-29 10:00:00');
  expect(toClickHouseDateTime(new Date('2026-09-01T08:00:00.250Z'))).toBe('2026-09-01 08:00:00');
});

test('a local_date that is no storable day is refused by name; a storable one is kept as it is', () => {
  const [event] = makeEnrichedEvents(1, 7);
  const at = { topic: 't', partition: 0, offset: '0' };
  const storedAt = '2026-09-17 00:00:00';
  for (const day of ['2026-02-30', '1969-12-31', '2106-01-01', '2026-9-01', '']) {
    expect(() => usageEventRow({ ...event!, local_date: day }, at, storedAt)).toThrow(
      expect.objectContaining({ name: 'PermanentError', field: 'local_date' }),
    );
  }
  expect(usageEventRow({ ...event!, local_date: '2026-09-01' }, at, storedAt).local_date).toBe('2026-09-01');
});
