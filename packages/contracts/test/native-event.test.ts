import {
  checkTimeBounds,
  isRealInstant,
  makeNativeEventSchema,
  nativeEventSchema,
  parseNdjson,
  userPartitionKey,
  validateNativeEvents,
  validateNdjson,
  type NativeEvent,
} from '../src';

const now = new Date('2026-09-15T00:00:00Z');
const ctx = { districtId: 'd1', source: 'agent' as const, now };

function good(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: 'e1',
    occurred_at: '2026-09-14T13:05:00-05:00',
    district_id: 'd1',
    source: 'agent',
    type: 'use',
    user: { sourced_id: 's1' },
    app: { domain: 'khanacademy.org' },
    active_seconds: 300,
    ...over,
  };
}

function rejectOf(item: unknown): { code: string; field?: string; message: string } {
  const r = validateNativeEvents(item, ctx);
  expect(r.events).toHaveLength(0);
  expect(r.rejects).toHaveLength(1);
  return r.rejects[0]!.reason;
}

describe('native event validation', () => {
  it('accepts the BRIEF example and keeps the public field names', () => {
    const r = validateNativeEvents(
      good({
        user: { sourced_id: 's1', email: 'a@b.org', username: 'ab', device_id: 'dev' },
        app: { app_id: 'khan', domain: 'KhanAcademy.org', url: 'https://khanacademy.org/x' },
        class_id: 'c1',
        school_id: 'o1',
        client_ip: '10.1.2.3',
      }),
      ctx,
    );
    expect(r.rejects).toEqual([]);
    const e = r.events[0]!;
    expect(Object.keys(e).sort()).toEqual(
      [
        'event_id',
        'occurred_at',
        'district_id',
        'source',
        'type',
        'user',
        'app',
        'active_seconds',
        'class_id',
        'school_id',
        'client_ip',
      ].sort(),
    );
    expect(e.app.domain).toBe('khanacademy.org');
    expect(userPartitionKey(e)).toBe('d1|s1');
  });

  it('fills district_id and source from the context, refuses another district', () => {
    const { district_id: _d, source: _s, ...bare } = good();
    const r = validateNativeEvents([bare, good({ district_id: 'd2' })], ctx);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ district_id: 'd1', source: 'agent' });
    expect(r.rejects[0]).toMatchObject({ index: 1, reason: { code: 'district_mismatch', field: 'district_id' } });
  });

  it.each([
    ['a string instead of an object', 'hello', 'invalid_field', undefined],
    ['wrong type of event_id', good({ event_id: 42 }), 'invalid_field', 'event_id'],
    ['unknown type', good({ type: 'click' }), 'invalid_field', 'type'],
    ['unknown source', good({ source: 'fax' }), 'invalid_field', 'source'],
    ['no user identifier', good({ user: {} }), 'missing_identifier', 'user'],
    ['no app identifier', good({ app: {} }), 'missing_identifier', 'app'],
    ['user missing altogether', good({ user: undefined }), 'invalid_field', 'user'],
    ['bad domain', good({ app: { domain: 'not a domain' } }), 'invalid_field', 'app.domain'],
    ['negative duration', good({ active_seconds: -1 }), 'invalid_field', 'active_seconds'],
    ['duration over 24 h', good({ active_seconds: 86_401 }), 'invalid_field', 'active_seconds'],
    ['duration as a string', good({ active_seconds: '300' }), 'invalid_field', 'active_seconds'],
    ['timestamp without offset', good({ occurred_at: '2026-09-14T13:05:00' }), 'invalid_field', 'occurred_at'],
    ['timestamp not a real date', good({ occurred_at: '2026-02-30T13:05:00Z' }), 'invalid_field', 'occurred_at'],
    ['timestamp far in the future', good({ occurred_at: '2026-09-17T00:00:00Z' }), 'invalid_field', 'occurred_at'],
    ['timestamp older than 5 years', good({ occurred_at: '2020-01-01T00:00:00Z' }), 'invalid_field', 'occurred_at'],
    ['bad client_ip', good({ client_ip: '10.1.2' }), 'invalid_field', 'client_ip'],
  ])('rejects %s naming the field', (_name, item, code, field) => {
    const reason = rejectOf(item);
    expect(reason.code).toBe(code);
    expect(reason.field).toBe(field);
    expect(reason.message.length).toBeGreaterThan(0);
  });

  it('checks time bounds against the supplied clock, not the wall clock', () => {
    const old = good({ occurred_at: '2016-11-15T10:15:00Z' });
    expect(validateNativeEvents(old, ctx).rejects[0]!.reason.field).toBe('occurred_at');
    expect(validateNativeEvents(old, { ...ctx, now: new Date('2017-01-01T00:00:00Z') }).events).toHaveLength(1);
    expect(checkTimeBounds('2026-09-16T00:00:00Z', now)).toBeNull();
    expect(checkTimeBounds('2026-09-16T00:00:01Z', now)).toMatch(/future/);
    expect(makeNativeEventSchema(now).safeParse(good()).success).toBe(true);
    // The structural schema alone does not look at the clock (for replays of stored events).
    expect(nativeEventSchema.safeParse(good({ occurred_at: '2001-01-01T00:00:00Z' })).success).toBe(true);
  });

  it('a real date-time: the days of each month, leap years by the Gregorian rules, hours, minutes, seconds', () => {
    // Days in February by the rules (every 4th year, not every 100th, every 400th), written out.
    const february: [number, number][] = [
      [2023, 28],
      [2024, 29],
      [1900, 28],
      [2000, 29],
      [2100, 28],
    ];
    for (const [year, days] of february) {
      expect([year, isRealInstant(`${year}-02-${days}T00:00:00Z`)]).toEqual([year, true]);
      expect([year, isRealInstant(`${year}-02-${days + 1}T00:00:00Z`)]).toEqual([year, false]);
    }
    const thirty = ['04', '06', '09', '11'];
    for (let month = 1; month <= 12; month++) {
      const mm = String(month).padStart(2, '0');
      const last = month === 2 ? 28 : thirty.includes(mm) ? 30 : 31;
      expect([mm, isRealInstant(`2026-${mm}-${last}T12:00:00+02:00`)]).toEqual([mm, true]);
      expect([mm, isRealInstant(`2026-${mm}-${last + 1}T12:00:00+02:00`)]).toEqual([mm, false]);
    }
    for (const bad of ['2026-00-10T00:00Z', '2026-13-10T00:00Z', '2026-09-00T00:00Z', '2026-09-10T24:00Z'])
      expect([bad, isRealInstant(bad)]).toEqual([bad, false]);
    for (const bad of ['2026-09-10T23:60Z', '2026-09-10T23:59:61Z', 'yesterday', '2026-09-10'])
      expect([bad, isRealInstant(bad)]).toEqual([bad, false]);
    expect(isRealInstant('2026-09-10T23:59:60Z')).toBe(false); // Date.parse refuses a leap second
    expect(isRealInstant('2026-09-10T23:59Z')).toBe(true);
  });

  it('NDJSON: malformed lines are rejected with their line number, others validated in order', () => {
    const text = [
      JSON.stringify(good()),
      '',
      '{"event_id": "e2",',
      JSON.stringify(good({ event_id: 'e3', type: 'nope' })),
      JSON.stringify(good({ event_id: 'e4' })),
    ].join('\n');
    const parsed = parseNdjson(text);
    expect(parsed.items.map((i) => i.line)).toEqual([1, 4, 5]);
    expect(parsed.rejects[0]).toMatchObject({
      index: 3,
      payload: '{"event_id": "e2",',
      reason: { code: 'malformed_json', line: 3 },
    });
    const r = validateNdjson(text, ctx);
    expect(r.events.map((e: NativeEvent) => e.event_id)).toEqual(['e1', 'e4']);
    expect(r.rejects.map((x) => [x.reason.code, x.reason.line, x.reason.field])).toEqual([
      ['malformed_json', 3, undefined],
      ['invalid_field', 4, 'type'],
    ]);
  });

  it('never throws, whatever it is given', () => {
    const weird: unknown[] = [null, undefined, 0, [], [[]], { user: null }, Object.create(null), { toString: 1 }];
    for (const w of weird) {
      expect(() => validateNativeEvents(w, ctx)).not.toThrow();
      const r = validateNativeEvents(w, ctx);
      for (const x of r.rejects) expect(x.reason.code).not.toBe('internal_error');
    }
  });
});
