import { createHash } from 'node:crypto';
import { makeDeadLetter, type DeadLetter, type RawMessage } from '@edusage/contracts';
import { matchesFilter, replayLetter, type LetterOutcome } from '../src';

// Pure rules of `dlq replay`: which adapter reads a letter again, with which clock and ids.
// The end-to-end replay on the real services is packages/demo/test/e2e-dlq-replay.test.ts.

const FAILED_AT = new Date('2026-03-02T15:00:00Z');
const letter = (over: Partial<Parameters<typeof makeDeadLetter>[0]>): DeadLetter =>
  makeDeadLetter({
    stage: 'ingest',
    source: 'agent',
    districtId: 'd1',
    reason: { code: 'unsupported_event', message: 'older version' },
    payload: {},
    now: FAILED_AT,
    ...over,
  });

function events(outcome: LetterOutcome): RawMessage[] {
  if (outcome.kind !== 'replayed') throw new Error(`expected replayed, got ${JSON.stringify(outcome)}`);
  return outcome.raw.map((m) => m.value as RawMessage);
}

describe('replayLetter', () => {
  const nativeEvent = {
    event_id: 'n-1',
    occurred_at: '2026-03-02T14:00:00Z',
    type: 'use',
    user: { sourced_id: 'stu-1' },
    app: { app_id: 'google-docs' },
    active_seconds: 42,
  };

  it('re-reads a native item with its own id, marked as a replay from its place on the topic', () => {
    const [msg] = events(replayLetter(letter({ payload: nativeEvent, inputFormat: 'native' }), 'usage.dlq/2/17'));
    expect(msg).toMatchObject({
      channel: 'replay',
      origin: 'dlq:usage.dlq/2/17',
      received_at: FAILED_AT.toISOString(),
      event: { event_id: 'n-1', district_id: 'd1', source: 'agent', active_seconds: 42 },
    });
  });

  it('reads a payload that starts with a byte order mark (the first line of a "UTF-8 with BOM" file)', () => {
    const payload = '\uFEFF' + JSON.stringify(nativeEvent);
    const [msg] = events(replayLetter(letter({ stage: 'import', payload, inputFormat: 'native' }), 'usage.dlq/0/3'));
    expect(msg!.event.event_id).toBe('n-1');
  });

  it('judges the time bounds at the time the input first failed, not today', () => {
    // Six years before today but one hour before the letter was written: accepted then, so accepted now.
    const old = new Date(Date.now() - 6 * 365 * 86_400_000);
    const payload = { ...nativeEvent, occurred_at: new Date(old.getTime() - 3_600_000).toISOString() };
    const outcome = replayLetter(letter({ payload, now: old, inputFormat: 'native' }), 'x/0/0');
    expect(events(outcome)).toHaveLength(1);
  });

  it('gives a Squid line the id the import gave it (source, line number and line)', () => {
    const line =
      '1767366000.000    120 10.1.2.3 TCP_MISS/200 5120 GET https://www.khanacademy.org/math alice HIER_DIRECT/1.2.3.4 text/html';
    const outcome = replayLetter(
      letter({
        stage: 'import',
        source: 'proxy',
        payload: line,
        reason: { code: 'unsupported_event', message: 'older version', line: 7 },
        inputFormat: 'squid',
      }),
      'x/0/1',
    );
    const expectedId = `sha256:${createHash('sha256').update(`proxy|7|${line}`).digest('hex')}`;
    expect(events(outcome).map((m) => m.event.event_id)).toEqual([expectedId]);
  });

  it('infers Caliper from the source of a letter written before input_format existed', () => {
    const caliper = {
      '@context': 'http://purl.imsglobal.org/ctx/caliper/v1p2',
      id: 'urn:uuid:ff9ec22a-fc59-4ae1-ae8d-2c9463ee2f8f',
      type: 'NavigationEvent',
      actor: { id: 'https://example.edu/users/554433', type: 'Person' },
      action: 'NavigatedTo',
      object: { id: 'https://www.khanacademy.org/math', type: 'WebPage' },
      eventTime: '2026-03-02T14:00:00.000Z',
    };
    const outcome = replayLetter(letter({ source: 'caliper', payload: caliper }), 'x/0/2');
    expect(events(outcome).map((m) => m.event.event_id)).toEqual(['urn:uuid:ff9ec22a-fc59-4ae1-ae8d-2c9463ee2f8f']);
  });

  it('re-sends a raw message that enrich refused, and an enriched event that aggregate refused', () => {
    const raw: RawMessage = {
      v: 1,
      event: { ...nativeEvent, district_id: 'd1', source: 'agent' } as RawMessage['event'],
      received_at: FAILED_AT.toISOString(),
      channel: 'http',
      origin: 'req-1#0',
    };
    const fromEnrich = replayLetter(
      letter({ stage: 'enrich', payload: JSON.stringify(raw), reason: { code: 'internal_error', message: 'x' } }),
      'x/0/3',
    );
    expect(events(fromEnrich)).toEqual([raw]);
    const fromAggregate = replayLetter(
      letter({
        stage: 'aggregate',
        source: 'usage.enriched',
        payload: '{"v":1}',
        reason: { code: 'x', message: 'x' },
        origin: 'usage.enriched/0/4',
      }),
      'x/0/4',
    );
    expect(fromAggregate).toMatchObject({ kind: 'still_rejected', reason: { code: 'invalid_field' } });
  });

  it('re-sends the very text enrich or the aggregate refused (its keys in its own order), so a refusal again is the same input', () => {
    // Keys out of the schemas' order, as an adapter or an older version may write them.
    const { active_seconds, ...rest } = nativeEvent;
    const rawText = JSON.stringify({
      origin: 'req-1#0',
      channel: 'http',
      received_at: FAILED_AT.toISOString(),
      v: 1,
      event: { active_seconds, ...rest, district_id: 'd1', source: 'agent' },
    });
    const fromEnrich = replayLetter(
      letter({ stage: 'enrich', payload: rawText, reason: { code: 'internal_error', message: 'x' } }),
      'x/0/12',
    );
    if (fromEnrich.kind !== 'replayed') throw new Error(JSON.stringify(fromEnrich));
    expect(fromEnrich.raw.map((m) => JSON.stringify(m.value))).toEqual([rawText]);
    const enrichedText = JSON.stringify({
      enriched_at: '2026-03-02T14:00:01.000Z',
      v: 1,
      dedup_key: 'a'.repeat(32),
      event_id: 'b'.repeat(32),
      occurred_at: '2026-03-02T14:00:00.000Z',
      local_date: '2026-03-02',
      district_id: 'd1',
      school_id: null,
      class_id: null,
      class_attribution: 'none',
      person_id: 'c'.repeat(32),
      person_resolved: true,
      role: 'student',
      app_id: 'google-docs',
      app_resolved: true,
      app_domain: null,
      source: 'agent',
      type: 'use',
      campus: 'unknown',
      counts_minute: false,
      explicit_seconds: 42,
      raw: { offset: '9', topic: 'usage.raw', partition: 1 },
    });
    const fromAggregate = replayLetter(
      letter({
        stage: 'aggregate',
        source: 'usage.enriched',
        payload: enrichedText,
        reason: { code: 'rejected_by_clickhouse', message: 'x' },
        origin: 'usage.enriched/1/4',
      }),
      'x/0/13',
    );
    if (fromAggregate.kind !== 'replayed') throw new Error(JSON.stringify(fromAggregate));
    expect(fromAggregate.enriched.map((m) => JSON.stringify(m.value))).toEqual([enrichedText]);
  });

  it("sends an event the aggregate refused back to the partition it came from (the duplicate check is per partition), under the deployment's topic prefix too", () => {
    const enriched = {
      v: 1,
      dedup_key: 'a'.repeat(32),
      event_id: 'b'.repeat(32),
      occurred_at: '2026-03-02T14:00:00.000Z',
      local_date: '2026-03-02',
      district_id: 'd1',
      school_id: 's1',
      class_id: null,
      class_attribution: 'none',
      person_id: 'c'.repeat(32),
      person_resolved: true,
      role: 'student',
      app_id: 'google-docs',
      app_resolved: true,
      app_domain: null,
      source: 'agent',
      type: 'use',
      campus: 'unknown',
      explicit_seconds: 42,
      counts_minute: false,
      raw: { topic: 'usage.raw', partition: 1, offset: '9' },
      enriched_at: '2026-03-02T14:00:01.000Z',
    };
    const refused = (source: string, origin: string | undefined) =>
      replayLetter(
        letter({
          stage: 'aggregate',
          source,
          payload: JSON.stringify(enriched),
          reason: { code: 'rejected_by_clickhouse', message: 'x' },
          ...(origin !== undefined ? { origin } : {}),
        }),
        'x/0/10',
      );
    for (const source of ['usage.enriched', 't.district-a.usage.enriched', 'acme_usage.enriched']) {
      const outcome = refused(source, `${source}/4/17`);
      if (outcome.kind !== 'replayed') throw new Error(JSON.stringify(outcome));
      expect(outcome.enriched.map((m) => [m.partition, (m.value as { event_id: string }).event_id])).toEqual([
        [4, enriched.event_id],
      ]);
    }
    // A partition the topic no longer has (made again with fewer): not replayable, the run goes on.
    const gone = replayLetter(
      letter({
        stage: 'aggregate',
        source: 'acme_usage.enriched',
        payload: JSON.stringify(enriched),
        reason: { code: 'rejected_by_clickhouse', message: 'x' },
        origin: 'acme_usage.enriched/5/3',
      }),
      'x/0/11',
      { enrichedPartitions: 3 },
    );
    expect(gone).toMatchObject({ kind: 'not_replayable', why: expect.stringContaining('partition 5') });
    // No partition to go back to: not guessed from the key (enrich keyed it by the sender's identifier).
    expect(refused('usage.enriched', undefined)).toMatchObject({ kind: 'not_replayable' });
    expect(refused('usage.enriched', 'req-1#0')).toMatchObject({ kind: 'not_replayable' });
  });

  it('says why a letter stays: still invalid, cut, or not readable alone', () => {
    const noUser = { ...nativeEvent, user: {} };
    expect(replayLetter(letter({ payload: noUser, inputFormat: 'native' }), 'x/0/5')).toMatchObject({
      kind: 'still_rejected',
      reason: { code: 'missing_identifier' },
    });
    expect(replayLetter(letter({ payload: 'x'.repeat(70_000) }), 'x/0/6')).toEqual({
      kind: 'not_replayable',
      why: 'payload was cut to the dead-letter limit',
    });
    expect(replayLetter(letter({ stage: 'import', payload: 'a,b,c', inputFormat: 'csv' }), 'x/0/7')).toMatchObject({
      kind: 'not_replayable',
      why: expect.stringContaining('import the file again'),
    });
    expect(replayLetter(letter({ payload: '{"event_id": tru', inputFormat: 'native' }), 'x/0/8')).toMatchObject({
      kind: 'still_rejected',
      reason: { code: 'malformed_json' },
    });
  });

  it('keeps the good items of a whole-body letter and counts the bad ones', () => {
    const body = [nativeEvent, { ...nativeEvent, event_id: 'n-2', user: {} }];
    const outcome = replayLetter(letter({ payload: body, inputFormat: 'native' }), 'x/0/9');
    expect(outcome).toMatchObject({ kind: 'replayed', rejects: [{ code: 'missing_identifier' }] });
    expect(events(outcome).map((m) => m.event.event_id)).toEqual(['n-1']);
  });
});

describe('matchesFilter', () => {
  const l = letter({ stage: 'import', source: 'proxy', reason: { code: 'invalid_field', message: 'x' } });
  it.each([
    [{}, true],
    [{ districtId: 'd1' }, true],
    [{ districtId: 'd2' }, false],
    [{ stages: ['ingest', 'import'] }, true],
    [{ stages: ['enrich'] }, false],
    [{ sources: ['proxy'] }, true],
    [{ reasons: ['unsupported_event'] }, false],
    [{ since: FAILED_AT }, true],
    [{ since: new Date(FAILED_AT.getTime() + 1) }, false],
    [{ until: FAILED_AT }, false],
    [{ until: new Date(FAILED_AT.getTime() + 1) }, true],
  ])('%j → %s', (filter, expected) => {
    expect(matchesFilter(l, filter)).toBe(expected);
  });
});
