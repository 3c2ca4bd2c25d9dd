/**
 * The meaning tables are the single source of truth: every row is walked through its adapter with an
 * input built for that row, and docs/MEANING.md must show exactly the tables the code has.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CALIPER_SHAPE_TABLE,
  CALIPER_TABLE,
  CMI5_SESSION_EXTENSION,
  XAPI_OTHER_VERB,
  XAPI_SHAPE_TABLE,
  XAPI_VERB_TABLE,
  adaptCaliper,
  adaptXapi,
  isUsage,
  nativeEventSchema,
  renderMeaningDoc,
  verbWord,
  type AdaptResult,
  type Meaning,
  type MeaningOutcome,
  type TimeRule,
} from '../src';

const NOW = new Date('2026-03-01T00:00:00Z');
const DOC = path.resolve(__dirname, '../../../docs/MEANING.md');

/** `event:use`, `skip:grading`, `reject:unsupported_event@type` — the same words for table and result. */
function outcomeOf(r: AdaptResult): string {
  expect(r.events.length + r.skipped.length + r.rejects.length).toBe(1);
  if (r.events[0]) {
    expect(nativeEventSchema.safeParse(r.events[0]).success).toBe(true);
    return `event:${r.events[0].type}`;
  }
  if (r.skipped[0]) return `skip:${r.skipped[0].reason}`;
  return `reject:${r.rejects[0]!.reason.code}@${r.rejects[0]!.reason.field}`;
}
function expected(o: MeaningOutcome): string {
  if (o.kind === 'event') return `event:${o.type}`;
  if (o.kind === 'skip') return `skip:${o.code}`;
  return `reject:${o.code}@${o.field}`;
}
/** active_seconds an event must carry under a time rule, given the duration (s) in the input. */
function secondsFor(o: MeaningOutcome, time: TimeRule, duration: number | undefined): number | undefined {
  if (o.kind !== 'event' || o.type === 'login' || o.type === 'logout') return undefined;
  if (time === 'duration_or_minute') return duration;
  if (time === 'duration_only') return duration ?? 0;
  if (time === 'none') return 0;
  return undefined;
}

describe('the tables are consistent', () => {
  const all: Meaning[] = [
    ...XAPI_VERB_TABLE,
    XAPI_OTHER_VERB,
    ...XAPI_SHAPE_TABLE,
    ...CALIPER_TABLE,
    ...CALIPER_SHAPE_TABLE,
  ];
  it("usage rows name whose usage; every other row is nobody's and adds no time", () => {
    for (const m of all) {
      if (isUsage(m)) expect(m.whose).not.toBe('nobody');
      else expect([m.whose, m.time]).toEqual(['nobody', 'none']);
    }
  });
  it('an xAPI verb word belongs to one row, and every listed IRI is matched by its own row', () => {
    const words = XAPI_VERB_TABLE.flatMap((r) => r.words);
    expect(new Set(words).size).toBe(words.length);
    for (const r of XAPI_VERB_TABLE) for (const iri of r.iris) expect(r.words).toContain(verbWord(iri));
  });
  it('a Caliper (type, action) pair belongs to one row', () => {
    const pairs = CALIPER_TABLE.flatMap((r) => r.actions.map((a) => `${r.type} ${a}`));
    expect(new Set(pairs).size).toBe(pairs.length);
  });
});

describe('every xAPI verb row through the adapter', () => {
  const learner = { account: { homePage: 'https://lms.example.org', name: 'learner-7' } };
  const statement = (verb: string, extra: Record<string, unknown>) => ({
    actor: learner,
    verb: { id: verb },
    object: { id: 'https://content.example.org/activity/1' },
    timestamp: '2026-02-10T09:30:00Z',
    ...extra,
  });
  const session = { context: { extensions: { [CMI5_SESSION_EXTENSION]: 'session-1' } } };
  const cases = [...XAPI_VERB_TABLE, XAPI_OTHER_VERB].flatMap((row) => {
    const verbs = [...row.iris, ...row.words.map((w) => `https://example.org/verbs/${w}`)];
    if (row === XAPI_OTHER_VERB) verbs.push('https://example.org/verbs/doodled');
    return verbs.map((verb) => [row.words[0] ?? '(other)', verb, row] as const);
  });

  it.each(cases)('%s: %s', (_w, verb, row) => {
    for (const inSession of [false, true]) {
      const m = inSession ? row.inCmi5Session : row;
      for (const duration of [undefined, 120]) {
        const extra = { ...(inSession ? session : {}), ...(duration ? { result: { duration: 'PT2M' } } : {}) };
        const r = adaptXapi(statement(verb, extra), { districtId: 'd1', now: NOW });
        expect(outcomeOf(r)).toBe(expected(m.outcome));
        if (r.events[0]) {
          expect(r.events[0].user).toEqual({ sourced_id: 'learner-7' }); // whose: the actor
          expect(r.events[0].active_seconds).toBe(secondsFor(m.outcome, m.time, duration));
        }
      }
    }
  });
});

describe('every xAPI shape row through the adapter', () => {
  const inputs: Record<string, unknown> = {
    substatement: {
      actor: { mbox: 'mailto:learner@example.org' },
      verb: { id: 'http://adlnet.gov/expapi/verbs/attended' },
      object: {
        objectType: 'SubStatement',
        actor: { mbox: 'mailto:learner@example.org' },
        verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' },
        object: { id: 'https://content.example.org/activity/1' },
      },
      timestamp: '2026-02-10T09:30:00Z',
    },
    course_status: {
      actor: { mbox: 'mailto:learner@example.org' },
      verb: { id: 'http://adlnet.gov/expapi/verbs/passed' },
      object: {
        id: 'https://lms.example.org/courses/7',
        definition: { type: 'http://adlnet.gov/expapi/activities/course' },
      },
      timestamp: '2026-02-10T09:30:00Z',
    },
    period_report: {
      actor: { mbox: 'mailto:learner@example.org' },
      verb: { id: 'http://adlnet.gov/expapi/verbs/progressed' },
      object: { id: 'https://content.example.org/activity/1' },
      result: { duration: 'PT4H35M20S' },
      context: {
        extensions: {
          'https://example.org/xapi/extensions/startdate': '2026-01-10',
          'https://example.org/xapi/extensions/enddate': '2026-02-10',
        },
      },
      timestamp: '2026-02-10T09:30:00Z',
    },
    group_actor: {
      actor: { objectType: 'Group', member: [{ mbox: 'mailto:a@example.org' }] },
      verb: { id: 'http://adlnet.gov/expapi/verbs/attended' },
      object: { id: 'https://content.example.org/activity/1' },
      timestamp: '2026-02-10T09:30:00Z',
    },
  };
  it.each(XAPI_SHAPE_TABLE.map((r) => [r.id, r] as const))('%s', (id, row) => {
    expect(inputs[id]).toBeDefined();
    expect(outcomeOf(adaptXapi(inputs[id], { districtId: 'd1', now: NOW }))).toBe(expected(row.outcome));
  });
});

describe('every Caliper row through the adapter', () => {
  const person = { id: 'https://example.edu/users/554433', type: 'Person' };
  const app = { id: 'https://example.edu/autograder', type: 'SoftwareApplication' };
  const build = (type: string, action: string, v10: boolean, actor: unknown = person): Record<string, unknown> => ({
    ...(v10
      ? {
          '@context': 'http://purl.imsglobal.org/ctx/caliper/v1/Context',
          '@type': `http://purl.imsglobal.org/caliper/v1/${type}`,
          action: `http://purl.imsglobal.org/vocab/caliper/v1/action#${action}`,
        }
      : { '@context': 'http://purl.imsglobal.org/ctx/caliper/v1p2', type, action }),
    id: 'urn:uuid:6c2a9e1e-7f5a-4d8e-9b0e-2f1f0f6f1a01',
    actor,
    object: { id: 'https://example.edu/terms/201801/courses/7/sections/1/resources/123', type: 'DigitalResource' },
    eventTime: '2026-02-10T09:30:00.000Z',
    edApp: { id: 'https://example.edu', type: 'SoftwareApplication' },
  });
  const cases = CALIPER_TABLE.flatMap((row) =>
    row.actions.flatMap((action) =>
      row.versions
        .filter((v) => v === '1.0' || v === row.versions.at(-1))
        .map((v) => [row.type, action, v, row] as const),
    ),
  );

  it.each(cases)('%s %s (Caliper %s)', (type, action, version, row) => {
    const ev = build(type, action, version === '1.0');
    for (const f of row.requires ?? []) ev[f] = { id: 'https://example.edu/lti/sessions/1', type: 'LtiSession' };
    if (row.whose === 'session_user') {
      ev['actor'] = app;
      ev['object'] = { id: 'https://example.edu/sessions/1', type: 'Session', user: person };
    }
    if (row.time === 'duration_or_minute') {
      ev['generated'] = { id: 'urn:uuid:1', type: 'AggregateMeasure', metric: 'MinutesOnTask', metricValue: 2 };
    }
    const r = adaptCaliper(ev, { districtId: 'd1', now: NOW });
    expect(outcomeOf(r)).toBe(expected(row.outcome));
    if (r.events[0]) {
      expect(r.events[0].user).toEqual({ sourced_id: '554433' });
      expect(r.events[0].active_seconds).toBe(row.time === 'duration_or_minute' ? 120 : undefined);
    }
    if (!isUsage(row))
      expect(outcomeOf(adaptCaliper(build(type, action, false, app), { districtId: 'd1', now: NOW }))).toBe(
        expected(row.outcome),
      );
    for (const f of row.requires ?? []) {
      delete ev[f];
      expect(outcomeOf(adaptCaliper(ev, { districtId: 'd1', now: NOW }))).toBe(`reject:invalid_field@${f}`);
    }
  });

  it.each(CALIPER_SHAPE_TABLE.map((r) => [r.shape, r] as const))('%s', (shape, row) => {
    const inputs: Record<string, unknown> = {
      'known type, other action': build('MediaEvent', 'Graded', false),
      'other event type': build('HologramEvent', 'Projected', false),
      'a usage row whose actor is not a Person': build('MediaEvent', 'Paused', false, app),
      'entity (no action/actor/eventTime, type not ending in Event) inside an Envelope': {
        sensor: 'https://example.edu/sensor',
        sendTime: '2026-02-10T09:30:00.000Z',
        dataVersion: 'http://purl.imsglobal.org/ctx/caliper/v1p2',
        data: [person],
      },
      'entity posted on its own': person,
      'ToolUseEvent whose MinutesOnTask measure has `startedAtTime` and `endedAtTime` more than one day apart': {
        ...build('ToolUseEvent', 'Used', false),
        generated: {
          id: 'urn:uuid:1',
          type: 'AggregateMeasure',
          metric: 'MinutesOnTask',
          metricValue: 873,
          startedAtTime: '2025-11-10T09:30:00.000Z',
          endedAtTime: '2026-02-10T09:30:00.000Z',
        },
      },
    };
    expect(inputs[shape]).toBeDefined();
    expect(outcomeOf(adaptCaliper(inputs[shape], { districtId: 'd1', now: NOW }))).toBe(expected(row.outcome));
  });
});

describe('docs/MEANING.md', () => {
  it('shows exactly the tables of the code (rewrite: pnpm build && node packages/contracts/scripts/render-meaning.js)', () => {
    const doc = fs.readFileSync(DOC, 'utf8');
    expect(renderMeaningDoc(doc)).toBe(doc);
  });
  it('a changed row makes the check fail', () => {
    const doc = fs.readFileSync(DOC, 'utf8');
    const tampered = doc.replace('| `GradeEvent` |', '| `GradeEvent2` |');
    expect(tampered).not.toBe(doc);
    expect(renderMeaningDoc(tampered)).not.toBe(tampered);
  });
});
