import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import XAPI, { type Statement } from '@xapi/xapi';
import { waitFor, type TestEnv } from '@edusage/testkit';
import type { DeadLetter, RawMessage } from '@edusage/contracts';
import type { IngestService } from '../src/app';
import { TopicCollector, isoMinutesAgo, startIngestSuite, type IngestSuite } from './helpers';

// The xAPI route driven by a real xAPI client library (@xapi/xapi, configured as an LMS configures its
// LRS: endpoint + username/password) against the running service, real Kafka and Redis. Error paths
// that the client library cannot produce are sent as plain HTTP requests.

const fixtures = path.resolve(__dirname, '../../../../shared/fixtures');

let env: TestEnv;
let service: IngestService;
let collector: TopicCollector;
let xapiKey: string;
let endpoint: string;
let suite: IngestSuite;

beforeAll(async () => {
  suite = await startIngestSuite('ingest_xapi', { INGEST_MAX_ITEMS: '50' });
  ({ env, service, collector } = suite);
  xapiKey = (await suite.keys.create({ districtId: 'd1', source: 'xapi', name: 'Moodle logstore_xapi' })).key;
  endpoint = `${service.url!}/v1/xapi/`;
});

afterAll(async () => {
  await suite?.stop();
});

/** The Moodle "course module viewed" statement (logstore_xapi test fixture) with a fresh id and time. */
function moodleStatement(extra: Record<string, unknown> = {}): Statement {
  const statements = JSON.parse(
    readFileSync(
      path.join(fixtures, 'moodle-logstore_xapi/mod_page/course_module_viewed/existing_module/statements.json'),
      'utf8',
    ),
  ) as Array<Record<string, unknown>>;
  return { ...statements[0], id: randomUUID(), timestamp: isoMinutesAgo(5), ...extra } as unknown as Statement;
}

function withoutId(statement: Statement): Statement {
  const copy = { ...statement } as Record<string, unknown>;
  delete copy['id'];
  return copy as unknown as Statement;
}

/** What the adapter uses as event_id for a statement without id: sha256 of the canonical JSON (keys sorted). */
function contentDigest(value: unknown): string {
  const canonical = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      return `{${Object.keys(o)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
        .join(',')}}`;
    }
    return JSON.stringify(v);
  };
  return createHash('sha256').update(canonical(value), 'utf8').digest('hex');
}

/** The documented statement id for a statement sent without one: the digest's first 128 bits as a version-8 UUID. */
function uuidFromDigest(hex: string): string {
  const b = Buffer.from(hex.slice(0, 32), 'hex');
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? filesUnder(path.join(dir, e.name), suffix)
      : e.name.endsWith(suffix)
        ? [path.join(dir, e.name)]
        : [],
  );
}

const rawWithIds = (ids: string[]) => (m: RawMessage) => ids.includes(m.event.event_id);

/** The client library with PUT /statements?statementId=…, which it does not offer itself (it always POSTs). */
class PuttingXapi extends XAPI {
  putStatement(statementId: string, statement: Statement) {
    return this.requestResource<void>({
      resource: 'statements' as never, // the client's Resources.STATEMENT
      queryParams: { statementId },
      requestConfig: { method: 'PUT', data: statement },
    });
  }
}

describe('an LMS emitter (the @xapi/xapi client, HTTP Basic auth)', () => {
  test('GET about lists the supported versions', async () => {
    const lrs = new XAPI({ endpoint, auth: XAPI.toBasicAuth(xapiKey, '') });
    const about = await lrs.getAbout();
    expect(about.status).toBe(200);
    expect(about.data.version).toEqual(expect.arrayContaining(['1.0.3', '2.0.0']));
    expect(about.headers['x-experience-api-version']).toBe('1.0.3');
  });

  test('POST with the key as username: 200 with the statement ids in order; the events are in usage.raw', async () => {
    const lrs = new XAPI({ endpoint, auth: XAPI.toBasicAuth(xapiKey, '') });
    const first = moodleStatement({ timestamp: isoMinutesAgo(9) });
    const noId = withoutId(moodleStatement({ timestamp: isoMinutesAgo(8) }));
    const third = moodleStatement({ timestamp: isoMinutesAgo(7) });
    const res = await lrs.sendStatements({ statements: [first, noId, third] });
    expect(res.status).toBe(200);
    const generated = uuidFromDigest(contentDigest(noId));
    expect(res.data).toEqual([first.id, generated, third.id]);
    expect(res.headers['x-experience-api-version']).toBe('1.0.3');

    const eventIds = [first.id!, `sha256:${contentDigest(noId)}`, third.id!];
    const raw = await collector.waitFor<RawMessage>(env.topics.raw, rawWithIds(eventIds), 3);
    expect(raw.map((m) => m.value.event.event_id).sort()).toEqual([...eventIds].sort());
    for (const m of raw) {
      expect(m.value.event).toMatchObject({ source: 'xapi', district_id: 'd1', type: 'page_view' });
      expect(m.value.channel).toBe('http');
    }
  });

  test('POST with the key as password (username = any label)', async () => {
    const lrs = new XAPI({ endpoint, auth: XAPI.toBasicAuth('district-d1', xapiKey) });
    const statement = moodleStatement();
    const res = await lrs.sendStatement({ statement });
    expect(res.status).toBe(200);
    expect(res.data).toEqual([statement.id]);
    const raw = await collector.waitFor<RawMessage>(env.topics.raw, rawWithIds([statement.id!]), 1);
    expect(raw).toHaveLength(1);
  });

  test('PUT /statements?statementId=…: 204, stored under that id (also for a statement without id)', async () => {
    const lrs = new PuttingXapi({ endpoint, auth: XAPI.toBasicAuth(xapiKey, '') });
    const withId = moodleStatement();
    const put1 = await lrs.putStatement(withId.id!, withId);
    expect(put1.status).toBe(204);
    const idFromParam = randomUUID();
    const put2 = await lrs.putStatement(idFromParam, withoutId(moodleStatement()));
    expect(put2.status).toBe(204);
    const raw = await collector.waitFor<RawMessage>(env.topics.raw, rawWithIds([withId.id!, idFromParam]), 2);
    expect(raw.map((m) => m.value.event.event_id).sort()).toEqual([withId.id!, idFromParam].sort());
  });

  test('a retry of the same batch gets the same ids and produces events with the same event_ids (removed by dedup downstream)', async () => {
    const lrs = new XAPI({ endpoint, auth: XAPI.toBasicAuth(xapiKey, '') });
    const batch = [moodleStatement(), withoutId(moodleStatement({ timestamp: isoMinutesAgo(3) }))];
    const first = await lrs.sendStatements({ statements: batch });
    const retry = await lrs.sendStatements({ statements: batch });
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.data).toEqual(first.data);
    const eventIds = [batch[0]!.id!, `sha256:${contentDigest(batch[1])}`];
    const raw = await collector.waitFor<RawMessage>(env.topics.raw, rawWithIds(eventIds), 4);
    expect(raw.map((m) => m.value.event.event_id).sort()).toEqual([...eventIds, ...eventIds].sort());
  });

  test('every Moodle logstore_xapi statement (no ids, as Moodle sends them) in one batch: 200 with one id each; each is in usage.raw or usage.dlq', async () => {
    const statements = filesUnder(path.join(fixtures, 'moodle-logstore_xapi'), 'statements.json')
      .flatMap((file) => JSON.parse(readFileSync(file, 'utf8')) as Statement[])
      .map((s, i) => ({ ...s, timestamp: isoMinutesAgo(60 + i) }));
    expect(statements.length).toBeGreaterThan(20);
    const lrs = new XAPI({ endpoint, auth: XAPI.toBasicAuth('moodle', xapiKey), version: '1.0.0' });
    const res = await lrs.sendStatements({ statements });
    expect(res.status).toBe(200);
    expect(res.data).toHaveLength(statements.length);
    expect(res.data).toEqual(statements.map((s) => uuidFromDigest(contentDigest(s))));
    const requestId = res.headers['x-request-id'] as string;
    const deadLettered = Number(res.headers['x-edusage-dead-lettered']);
    const skipped = Number(res.headers['x-edusage-skipped']);
    // Not usage in what Moodle sends: the enrolment statements (roster data, not use of an app) are
    // skipped by the meaning table (docs/MEANING.md), never stored as events.
    const isEnrolment = (s: Statement) => /\/(un)?(enrolled|registered)$/i.test(s.verb.id);
    const enrolments = statements.filter(isEnrolment).length;
    expect(enrolments).toBeGreaterThan(0);
    expect(skipped).toBeGreaterThanOrEqual(enrolments);
    const accepted = statements.length - deadLettered - skipped;
    const raw = await collector.waitFor<RawMessage>(env.topics.raw, (m) => m.origin === requestId, accepted);
    const dlq = await collector.waitFor<DeadLetter>(
      env.topics.dlq,
      (m) => (m.origin ?? '').startsWith(`${requestId}#`),
      deadLettered,
    );
    expect(raw).toHaveLength(accepted);
    expect(dlq).toHaveLength(deadLettered);
    // Every statement is in at most one of the two topics (its event_id in usage.raw, or its index in
    // usage.dlq), the rest were skipped, and no enrolment became an event.
    const inRaw = new Set(raw.map((m) => m.value.event.event_id));
    const inDlq = new Set(dlq.map((m) => Number(m.value.origin!.split('#')[1])));
    statements.forEach((s, i) => expect(inRaw.has(`sha256:${contentDigest(s)}`) && inDlq.has(i)).toBe(false));
    expect(inRaw.size + inDlq.size + skipped).toBe(statements.length);
    statements.forEach((s) => {
      if (isEnrolment(s)) expect(inRaw.has(`sha256:${contentDigest(s)}`)).toBe(false);
    });
    for (const m of dlq) expect(m.value.reason).toMatchObject({ code: 'unsupported_event', field: 'verb.id' });
  });

  test('every Open edX event-routing statement, PUT one by one under its id (as TinCanPython does): 204 and in usage.raw or usage.dlq; the Activity without id: 400', async () => {
    const dir = path.join(fixtures, 'openedx-event-routing-backends/xapi-expected');
    const lrs = new PuttingXapi({ endpoint, auth: XAPI.toBasicAuth('openedx', xapiKey) });
    const stored: Array<{ id: string; requestId: string }> = [];
    const skippedIds: string[] = [];
    const refused: string[] = [];
    for (const name of readdirSync(dir)) {
      const value = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as Statement | Statement[];
      for (const [i, s] of (Array.isArray(value) ? value : [value]).entries()) {
        const statement = { ...s, timestamp: isoMinutesAgo(120 + stored.length) };
        const res = await lrs.putStatement(statement.id!, statement).catch((e: { response?: { status: number } }) => e);
        if ('status' in res && res.status === 204) {
          // A statement the meaning table skips (e.g. the server's grading) is answered 204 and not stored.
          if (res.headers['x-edusage-skipped'] === '1') skippedIds.push(statement.id!);
          else stored.push({ id: statement.id!, requestId: res.headers['x-request-id'] });
        } else refused.push(`${name}#${i}:${(res as { response?: { status: number } }).response?.status}`);
      }
    }
    expect(refused).toEqual(['problem_check(browser).required.only.data.json#0:400']);
    expect(stored.length).toBeGreaterThan(30);
    expect(skippedIds.length).toBeGreaterThan(0);
    // Each stored statement lands in exactly one topic: by its id in usage.raw, or by its request in usage.dlq.
    const requestIds = new Set(stored.map((x) => x.requestId));
    const landedFrom = () =>
      collector.messages.flatMap((m) => {
        const rawOrigin = (m.value as RawMessage).origin ?? '';
        if (m.topic === env.topics.raw && requestIds.has(rawOrigin)) return [rawOrigin];
        const origin = m.topic === env.topics.dlq ? ((m.value as DeadLetter).origin ?? '') : '';
        return requestIds.has(origin.split('#')[0]!) ? [origin.split('#')[0]!] : [];
      });
    await waitFor(
      async () => landedFrom().length,
      (n) => n >= stored.length,
      { what: 'every stored Open edX statement in usage.raw or usage.dlq', timeoutMs: 30_000 },
    );
    await new Promise((r) => setTimeout(r, 750));
    const landed = landedFrom();
    for (const { id, requestId } of stored)
      expect({ id, times: landed.filter((r) => r === requestId).length }).toEqual({ id, times: 1 });
    const rawIds = collector.messages
      .filter((m) => m.topic === env.topics.raw && requestIds.has((m.value as RawMessage).origin ?? ''))
      .map((m) => (m.value as RawMessage).event.event_id);
    expect(rawIds.every((id) => stored.some((x) => x.id === id))).toBe(true);
  });

  test('a wrong password is refused 401 with a Basic challenge', async () => {
    const lrs = new XAPI({ endpoint, auth: XAPI.toBasicAuth('district-d1', 'not-a-key') });
    const err = await lrs.sendStatement({ statement: moodleStatement() }).catch((e: unknown) => e);
    const response = (err as { response?: { status: number; headers: Record<string, string> } }).response;
    expect(response?.status).toBe(401);
    expect(response?.headers['www-authenticate']).toMatch(/^Basic realm=/);
  });
});

/** A plain HTTP request to the running service (what the client library cannot send). */
async function send(
  method: string,
  resource: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: () => Promise<unknown>; text: string }> {
  const res = await fetch(`${endpoint}${resource}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`${xapiKey}:`).toString('base64')}`,
      'x-experience-api-version': '1.0.3',
      'content-type': 'application/json',
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: async () => JSON.parse(text), text };
}

interface ErrorBody {
  error: string;
  message: string;
  rejected?: Array<{ index: number; reason: { code: string; field?: string; message: string } }>;
}

describe('error paths and what real emitters send (plain requests)', () => {
  test('the version header is required on statements (400 naming it) and echoed; 2.0.0 is accepted', async () => {
    const statement = moodleStatement();
    const missing = await send('POST', 'statements', statement, { 'x-experience-api-version': '' });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as ErrorBody).message).toMatch(/X-Experience-API-Version/);
    expect(missing.headers.get('x-experience-api-version')).toBeTruthy();
    for (const version of ['0.95', '1.1.0', '3.0.0']) {
      const res = await send('POST', 'statements', statement, { 'x-experience-api-version': version });
      expect(res.status).toBe(400);
    }
    const v2 = await send('POST', 'statements', statement, { 'x-experience-api-version': '2.0.0' });
    expect(v2.status).toBe(200);
    expect(v2.headers.get('x-experience-api-version')).toBe('2.0.0');
    expect(await v2.json()).toEqual([statement.id]);
    const v10 = await send('POST', 'statements', moodleStatement(), { 'x-experience-api-version': '1.0' });
    expect(v10.status).toBe(200);
    expect(v10.headers.get('x-experience-api-version')).toBe('1.0.3');
  });

  test('Bearer and x-api-key still work; no credentials is 401 with a Basic challenge', async () => {
    const bearer = await send('POST', 'statements', moodleStatement(), { authorization: `Bearer ${xapiKey}` });
    expect(bearer.status).toBe(200);
    const header = await send('POST', 'statements', moodleStatement(), { authorization: '', 'x-api-key': xapiKey });
    expect(header.status).toBe(200);
    const none = await send('POST', 'statements', moodleStatement(), { authorization: '' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/Basic realm=/);
    expect(((await none.json()) as ErrorBody).message).toMatch(/Basic/);
  });

  test('content-type with a charset and a single statement object are accepted', async () => {
    const statement = moodleStatement();
    const res = await send('POST', 'statements', statement, { 'content-type': 'application/json; charset=utf-8' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([statement.id]);
  });

  test('a batch with an invalid statement is refused whole (400 naming index and field); the invalid one is dead-lettered, the valid one is not stored', async () => {
    const good = moodleStatement();
    const bad = { ...moodleStatement(), actor: { objectType: 'Agent', name: 'no identifier' } };
    const res = await send('POST', 'statements', [good, bad], { 'x-request-id': 'xapi-invalid-batch' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error).toBe('invalid_statements');
    expect(body.rejected).toHaveLength(1);
    expect(body.rejected![0]).toMatchObject({ index: 1, reason: { field: 'actor' } });
    expect(body.message).toMatch(/nothing .* stored/i);
    const dlq = await collector.waitFor<DeadLetter>(
      env.topics.dlq,
      (m) => (m.origin ?? '').startsWith('xapi-invalid-batch'),
      1,
    );
    expect(dlq).toHaveLength(1);
    expect(JSON.parse(dlq[0]!.value.payload)).toEqual(bad);
    expect(dlq[0]!.value.origin).toBe('xapi-invalid-batch#1');
    // The valid statement of the refused batch never reached usage.raw (the collector has read past it).
    expect(
      collector.messages.some((m) => m.topic === env.topics.raw && rawWithIds([good.id!])(m.value as RawMessage)),
    ).toBe(false);
  });

  test('a valid statement that carries no usage (voided) is answered as the LRS must (200) and counted as skipped', async () => {
    const usage = moodleStatement();
    const voiding = {
      id: randomUUID(),
      actor: usage.actor,
      verb: { id: 'http://adlnet.gov/expapi/verbs/voided', display: { 'en-US': 'voided' } },
      object: { objectType: 'StatementRef', id: usage.id },
      timestamp: isoMinutesAgo(1),
    };
    const res = await send('POST', 'statements', [usage, voiding], { 'x-request-id': 'xapi-voided' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([usage.id, voiding.id]);
    expect(res.headers.get('x-edusage-dead-lettered')).toBe('0');
    expect(res.headers.get('x-edusage-skipped')).toBe('1');
    await collector.waitFor<RawMessage>(env.topics.raw, rawWithIds([usage.id!]), 1);
    expect(
      collector.messages.some((m) => m.topic === env.topics.dlq && (m.value as DeadLetter).origin === 'xapi-voided#1'),
    ).toBe(false);
  });

  test('a body with a byte order mark is read; its duplicated keys are still found', async () => {
    const statement = moodleStatement();
    const res = await send('POST', 'statements', '\uFEFF' + JSON.stringify([statement]));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([statement.id]);
    await collector.waitFor<RawMessage>(env.topics.raw, rawWithIds([statement.id!]), 1);
    const text = JSON.stringify(statement).replace(/^\{/, `{"actor":${JSON.stringify(statement.actor)},`);
    const duplicated = await send('POST', 'statements', '\uFEFF' + text);
    expect(duplicated.status).toBe(400);
    expect(((await duplicated.json()) as ErrorBody).message).toMatch(/actor/);
  });

  test('timestamps ISO 8601 allows (+hh offset, lower-case t/z, 10 fraction digits) are stored as their instant; others 400', async () => {
    // Ten minutes ago, written at +05:00 with an hours-only offset.
    const instant = new Date(Math.floor(Date.now() / 1000) * 1000 - 10 * 60_000);
    const local = new Date(instant.getTime() + 5 * 3_600_000).toISOString().slice(0, 19);
    const plain = isoMinutesAgo(7);
    const sent = {
      [`${local}+05`]: `${local}+05:00`,
      [plain.replace('T', 't').replace('Z', 'z')]: plain,
      [plain.replace('Z', '1234567Z')]: plain.replace('Z', '123456Z'),
    };
    const statements = Object.keys(sent).map((timestamp) => moodleStatement({ timestamp }));
    const res = await send('POST', 'statements', statements, { 'x-request-id': 'xapi-timestamps' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-edusage-dead-lettered')).toBe('0');
    const ids = statements.map((st) => st.id!);
    const raw = await collector.waitFor<RawMessage>(env.topics.raw, rawWithIds(ids), 3);
    const stored = ids.map((id) => raw.find((m) => m.value.event.event_id === id)!.value.event.occurred_at);
    expect(stored).toEqual(Object.values(sent));
    expect(Date.parse(stored[0]!)).toBe(instant.getTime());

    for (const timestamp of ['2026-02-30T10:00:00Z', `${local}-00:00`]) {
      const refused = await send('POST', 'statements', [moodleStatement(), moodleStatement({ timestamp })]);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as ErrorBody).rejected![0]).toMatchObject({
        index: 1,
        reason: { code: 'invalid_field', field: 'timestamp' },
      });
    }
  });

  test('two statements with the same id in one batch: 400', async () => {
    const statement = moodleStatement();
    const res = await send('POST', 'statements', [statement, { ...statement, timestamp: isoMinutesAgo(2) }]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.rejected![0]).toMatchObject({ index: 1, reason: { field: 'id' } });
  });

  test('not JSON, a duplicated key, a non-UUID id: 400 with the reason', async () => {
    const notJson = await send('POST', 'statements', '{"actor": ', { 'x-request-id': 'xapi-not-json' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as ErrorBody).error).toBe('malformed_json');
    await collector.waitFor<DeadLetter>(env.topics.dlq, (m) => m.origin === 'xapi-not-json#0', 1);

    const statement = moodleStatement();
    const text = JSON.stringify(statement).replace(/^\{/, `{"actor":${JSON.stringify(statement.actor)},`);
    const duplicated = await send('POST', 'statements', text);
    expect(duplicated.status).toBe(400);
    expect(((await duplicated.json()) as ErrorBody).message).toMatch(/actor/);

    const badId = await send('POST', 'statements', { ...moodleStatement(), id: 'not-a-uuid' });
    expect(badId.status).toBe(400);
    expect(((await badId.json()) as ErrorBody).rejected![0]!.reason.field).toBe('id');
  });

  test('PUT: statementId missing, not a UUID, or different from the id: 400; an array or a non-object: 400', async () => {
    const statement = moodleStatement();
    expect((await send('PUT', 'statements', statement)).status).toBe(400);
    expect((await send('PUT', 'statements?statementId=abc', statement)).status).toBe(400);
    const other = await send('PUT', `statements?statementId=${randomUUID()}`, statement);
    expect(other.status).toBe(400);
    expect(((await other.json()) as ErrorBody).message).toMatch(/statementId/);
    expect((await send('PUT', `statements?statementId=${statement.id}`, [statement])).status).toBe(400);
    const notObject = await send('PUT', `statements?statementId=${statement.id}`, '"a string"');
    expect(notObject.status).toBe(400);
    expect(((await notObject.json()) as ErrorBody).message).toMatch(/JSON object/);
  });

  test('what a write-only LRS does not serve: GET statements 405, documents 501, attachments 415, CORS preflight 405, unknown parameters 400', async () => {
    const get = await send('GET', 'statements', undefined);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, PUT');
    expect(((await get.json()) as ErrorBody).message).toMatch(/write-only/);
    for (const resource of ['activities/state', 'activities/profile', 'agents/profile', 'activities', 'agents']) {
      const res = await send('GET', `${resource}?activityId=${encodeURIComponent('https://x.example/a')}`, undefined);
      expect(res.status).toBe(501);
      expect(res.headers.get('x-experience-api-version')).toBe('1.0.3');
    }
    const multipart = await send('POST', 'statements', '--b\r\n\r\n--b--', {
      'content-type': 'multipart/mixed; boundary=b',
    });
    expect(multipart.status).toBe(415);
    const preflight = await send('OPTIONS', 'statements', undefined, { 'access-control-request-method': 'POST' });
    expect(preflight.status).toBe(405);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await preflight.json()) as ErrorBody).message).toMatch(/browser/);
    const param = await send('POST', 'statements?method=PUT', moodleStatement());
    expect(param.status).toBe(400);
    expect(((await param.json()) as ErrorBody).message).toMatch(/method/);
  });
});
