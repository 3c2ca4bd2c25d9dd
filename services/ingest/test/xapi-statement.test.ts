import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createLogger } from '@edusage/logging';
import { presentedCredentials, type ResolvedKey, type KeyResolver } from '../src/apikeys';
import { buildServer } from '../src/server';
import { KafkaUnavailableError, type EventSink } from '../src/sink';
import { negotiateVersion, statementIdOf, statementProblem } from '../src/xapi-statement';

// Unit tests of the LRS-level checks of the xAPI route, over real emitters' statements
// (../shared/fixtures), and the one failure that cannot be staged on the shared Kafka.

const fixtures = path.resolve(__dirname, '../../../../shared/fixtures');

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? filesUnder(path.join(dir, e.name), suffix)
      : e.name.endsWith(suffix)
        ? [path.join(dir, e.name)]
        : [],
  );
}

function statementsIn(file: string): unknown[] {
  const value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  return Array.isArray(value) ? value : [value];
}

describe('statementProblem over real statements', () => {
  test('every Moodle logstore_xapi and 1EdTech Japan statement is valid xAPI', () => {
    const files = [
      ...filesUnder(path.join(fixtures, 'moodle-logstore_xapi'), 'statements.json'),
      ...filesUnder(path.join(fixtures, '1edtechjapan-da2022'), '.json'),
    ];
    expect(files.length).toBeGreaterThan(20);
    for (const file of files)
      for (const s of statementsIn(file))
        expect({ file, problem: statementProblem(s) }).toEqual({ file, problem: null });
  });

  test('Open edX: all valid except the browser problem_check with "required data only" (an Activity without id)', () => {
    const dir = path.join(fixtures, 'openedx-event-routing-backends/xapi-expected');
    const invalid: Array<{ file: string; field?: string }> = [];
    for (const name of readdirSync(dir))
      for (const s of statementsIn(path.join(dir, name))) {
        const problem = statementProblem(s);
        if (problem) invalid.push({ file: name, ...(problem.field ? { field: problem.field } : {}) });
      }
    expect(invalid).toEqual([{ file: 'problem_check(browser).required.only.data.json', field: 'object.id' }]);
  });

  test('ADL conformance templates: the deliberately broken ones are refused naming the field, the others pass', () => {
    for (const version of ['v1_0_3', 'v2_0']) {
      const dir = path.join(fixtures, 'adlnet-lrs-conformance-test-suite', version, 'templates/statements');
      const fieldOf = (name: string) => statementProblem(JSON.parse(readFileSync(path.join(dir, name), 'utf8')))?.field;
      // Written from what each template is: an Agent without identifier, a missing part, an empty object.
      expect(fieldOf('actor.json')).toBe('actor');
      expect(fieldOf('authority.json')).toBe('authority');
      expect(fieldOf('no_actor.json')).toBe('actor');
      expect(fieldOf('no_verb.json')).toBe('verb');
      expect(fieldOf('no_object.json')).toBe('object');
      expect(fieldOf('verb.json')).toBe('verb.id');
      expect(fieldOf('object_activity.json')).toBe('object.id');
      expect(fieldOf('object_actor.json')).toBe('object');
      expect(fieldOf('object_statementref_no_id.json')).toBe('object.id');
      expect(fieldOf('object_substatement.json')).toBe('object.actor');
      for (const valid of [
        'attachment.json',
        'context.json',
        'context_sans_objectType.json',
        'default.json',
        'object_agent_default.json',
        'object_group_default.json',
        'object_statementref.json',
        'object_substatement_default.json',
        'result.json',
        'unicode.json',
        'voiding.json',
      ])
        expect({ valid, field: fieldOf(valid) }).toEqual({ valid, field: undefined });
    }
  });

  test('hand-made problems name their field', () => {
    const ok = {
      actor: { account: { homePage: 'https://lms.example.edu', name: '554433' } },
      verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' },
      object: { id: 'https://www.khanacademy.org/math' },
    };
    expect(statementProblem(ok)).toBeNull();
    expect(statementProblem([ok])?.message).toMatch(/JSON object/);
    expect(statementProblem({ ...ok, id: '1234' })?.field).toBe('id');
    expect(statementProblem({ ...ok, timestamp: null })?.field).toBe('timestamp');
    expect(statementProblem({ ...ok, timestamp: 'yesterday' })?.field).toBe('timestamp');
    expect(statementProblem({ ...ok, actor: { ...ok.actor, mbox: 'mailto:a@b.example' } })?.message).toMatch(
      /2 identifiers/,
    );
    expect(statementProblem({ ...ok, actor: { mbox: 'a@b.example' } })?.field).toBe('actor.mbox');
    expect(statementProblem({ ...ok, verb: { id: 'experienced' } })?.field).toBe('verb.id');
    expect(statementProblem({ ...ok, context: { registration: 'x' } })?.field).toBe('context.registration');
    expect(statementProblem({ ...ok, version: '0.95' })?.field).toBe('version');
    expect(statementProblem({ ...ok, actor: { objectType: 'Group' } })?.message).toMatch(/member/);
  });

  test('timestamps: what the adapter reads passes; other forms are refused naming the field', () => {
    const ok = {
      actor: { account: { homePage: 'https://lms.example.edu', name: '554433' } },
      verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' },
      object: { id: 'https://www.khanacademy.org/math' },
    };
    const problem = (timestamp: string) => statementProblem({ ...ok, timestamp });
    for (const read of [
      '2026-11-01T10:00:00+05',
      '2026-11-01T10:00:00+0530',
      '2026-11-01t10:00:00z',
      '2026-11-01T10:00:00.1234567891Z',
      '2008-09-15 15:53:00.601+00:00', // RFC 3339 §5.6; the ADL 2.0 conformance suite expects 200
      '2026-11-01T10:00',
    ])
      expect([read, problem(read)]).toEqual([read, null]);
    for (const refused of [
      '2026-02-30T10:00:00Z', // not a real day
      '2026-11-01T24:00:00Z',
      '2026-11-01T10:00:00,5Z',
      '2026-11-01T10:00:00+5',
      '2008-09-15T15:53:00.601-00', // negative zero offsets: ADL conformance XAPI-00123
      '2008-09-15T15:53:00.601-0000',
      '2008-09-15T15:53:00.601-00:00',
    ])
      expect([refused, problem(refused)?.field]).toEqual([refused, 'timestamp']);
    expect(statementProblem({ ...ok, stored: '2026-02-30T10:00:00Z' })?.field).toBe('stored');
    expect(statementProblem({ ...ok, object: { ...ok, objectType: 'SubStatement', timestamp: 'soon' } })?.field).toBe(
      'object.timestamp',
    );
  });
});

describe('statementIdOf', () => {
  const statement = {
    actor: { mbox: 'mailto:a@b.example' },
    verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' },
    object: { id: 'https://www.khanacademy.org/math' },
  };

  test('a statement with an id keeps it', () => {
    expect(statementIdOf({ ...statement, id: '6f1c9d0e-3c0a-4b8e-9d57-6a2b5b3c1e01' })).toBe(
      '6f1c9d0e-3c0a-4b8e-9d57-6a2b5b3c1e01',
    );
  });

  test('without id: a version-8 UUID that depends on the content, not on the key order', () => {
    const id = statementIdOf(statement);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const reordered = { object: statement.object, verb: statement.verb, actor: statement.actor };
    expect(statementIdOf(reordered)).toBe(id);
    expect(statementIdOf({ ...statement, object: { id: 'https://www.khanacademy.org/science' } })).not.toBe(id);
  });
});

test('negotiateVersion: 1.0.x → 1.0.3, 2.0.x → 2.0.0, others refused naming the header', () => {
  for (const v of ['1.0', '1.0.0', '1.0.3', '1.0.9'])
    expect(negotiateVersion(v)).toEqual({ ok: true, version: '1.0.3' });
  for (const v of ['2.0', '2.0.0']) expect(negotiateVersion(v)).toEqual({ ok: true, version: '2.0.0' });
  for (const v of [undefined, '', '0.95', '1.1.0', '2.1.0', 'abc']) {
    const out = negotiateVersion(v);
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.message).toMatch(/X-Experience-API-Version/);
  }
});

test('presentedCredentials: Bearer, x-api-key, Basic with the key as username or password', () => {
  const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  expect(presentedCredentials({ authorization: 'Bearer k1' })).toEqual({ scheme: 'bearer', candidates: ['k1'] });
  expect(presentedCredentials({ 'x-api-key': ' k2 ' })).toEqual({ scheme: 'header', candidates: ['k2'] });
  expect(presentedCredentials({ authorization: basic('k3', '') })).toEqual({ scheme: 'basic', candidates: ['k3'] });
  expect(presentedCredentials({ authorization: basic('', 'k4') })).toEqual({ scheme: 'basic', candidates: ['k4'] });
  expect(presentedCredentials({ authorization: basic('moodle', 'k5') })).toEqual({
    scheme: 'basic',
    candidates: ['k5', 'moodle'],
  });
  expect(presentedCredentials({ authorization: basic('k6', 'k6') })).toEqual({ scheme: 'basic', candidates: ['k6'] });
  expect(presentedCredentials({ authorization: basic('', '') })).toBeNull();
  expect(presentedCredentials({ authorization: 'Digest x' })).toBeNull();
  expect(presentedCredentials({})).toBeNull();
});

test('Kafka does not acknowledge → 503 with Retry-After and the version header, no statement ids', async () => {
  const record: ResolvedKey = {
    district_id: 'd1',
    source: 'xapi',
    name: 'fake',
    created_at: new Date().toISOString(),
    key_id: 'fake',
  };
  const keys: KeyResolver = { resolve: async (k) => (k === 'good' ? record : null) };
  const sink: EventSink = {
    send: async () => {
      throw new KafkaUnavailableError('broker down');
    },
  };
  const app = await buildServer({
    config: { INGEST_MAX_BODY_BYTES: 1024 * 1024, INGEST_MAX_ITEMS: 100 },
    logger: createLogger('ingest-xapi-unit', 'silent'),
    keys,
    sink,
  });
  const res = await app.inject({
    method: 'POST',
    url: '/v1/xapi/statements',
    headers: {
      authorization: `Basic ${Buffer.from('lms:good').toString('base64')}`,
      'content-type': 'application/json',
      'x-experience-api-version': '1.0.3',
    },
    payload: JSON.stringify({
      actor: { mbox: 'mailto:a@b.example' },
      verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' },
      object: { id: 'https://www.khanacademy.org/math' },
      timestamp: new Date().toISOString(),
    }),
  });
  expect(res.statusCode).toBe(503);
  expect(res.headers['retry-after']).toBe('5');
  expect(res.headers['x-experience-api-version']).toBe('1.0.3');
  expect(res.json()).toMatchObject({ error: 'kafka_unavailable' });
  await app.close();
});
