import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import type { TestEnv } from '@edusage/testkit';
import type { DeadLetter, RawMessage } from '@edusage/contracts';
import { ApiKeyStore } from '../src/apikeys';
import type { IngestService } from '../src/app';
import { type IngestConfig } from '../src/config';
import type { IngestResponse } from '../src/server';
import { TopicCollector, isoMinutesAgo, startIngestSuite, type IngestSuite } from './helpers';

const fixtures = path.resolve(__dirname, '../../../../shared/fixtures');

let env: TestEnv;
let config: IngestConfig;
let service: IngestService;
let collector: TopicCollector;
let redis: Redis;
let agentKey: string;
let caliperKey: string;
let suite: IngestSuite;

beforeAll(async () => {
  suite = await startIngestSuite('ingest_http', { INGEST_MAX_BODY_BYTES: '65536', INGEST_MAX_ITEMS: '50' });
  ({ env, config, service, collector, redis } = suite);
  agentKey = (await suite.keys.create({ districtId: 'd1', source: 'agent', name: 'lab agents' })).key;
  caliperKey = (await suite.keys.create({ districtId: 'd1', source: 'caliper', name: 'LMS sensor' })).key;
});

afterAll(async () => {
  await suite?.stop();
});

function post(url: string, body: string | Buffer, headers: Record<string, string>) {
  return service.app.inject({
    method: 'POST',
    url,
    payload: body,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

function nativeEvent(id: string, user: string, extra: Record<string, unknown> = {}) {
  return {
    event_id: id,
    occurred_at: isoMinutesAgo(10),
    type: 'page_view',
    user: { sourced_id: user },
    app: { domain: 'khanacademy.org' },
    ...extra,
  };
}

const rawOf = (requestId: string) => (m: RawMessage) => m.origin === requestId;
const dlqOf = (requestId: string) => (m: DeadLetter) => (m.origin ?? '').startsWith(requestId);

describe('POST /v1/events', () => {
  test('mixed batch: valid events reach usage.raw keyed by person, each rejected item is named and dead-lettered', async () => {
    const items: unknown[] = [
      nativeEvent('e-1', 'u1', { active_seconds: 120 }),
      nativeEvent('e-2', 'u2'),
      { ...nativeEvent('bad-time', 'u1'), occurred_at: '2026-13-45T99:00:00Z' },
      { ...nativeEvent('no-user', 'u1'), user: {} },
      nativeEvent('other-district', 'u1', { district_id: 'd2' }),
      'not an object',
      nativeEvent('e-3', 'u1', { district_id: 'd1', source: 'agent' }),
      nativeEvent('wrong-source', 'u3', { source: 'sso' }),
    ];
    const res = await post('/v1/events', JSON.stringify(items), {
      authorization: `Bearer ${agentKey}`,
      'x-request-id': 'req-mixed',
    });
    expect(res.statusCode).toBe(202);
    expect(res.headers['x-request-id']).toBe('req-mixed');
    const body = res.json<IngestResponse>();
    expect(body.accepted).toBe(3);
    expect(body.rejected.map((r) => [r.index, r.reason.code, r.reason.field])).toEqual([
      [2, 'invalid_field', 'occurred_at'],
      [3, 'missing_identifier', 'user'],
      [4, 'district_mismatch', 'district_id'],
      [5, 'invalid_field', undefined],
      [7, 'invalid_field', 'source'],
    ]);
    for (const r of body.rejected) expect(r.reason.message.length).toBeGreaterThan(5);

    const raw = await collector.waitFor<RawMessage>(env.topics.raw, rawOf('req-mixed'), 3);
    expect(raw.map((m) => m.value.event.event_id).sort()).toEqual(['e-1', 'e-2', 'e-3']);
    for (const m of raw) {
      expect(m.value).toMatchObject({ v: 1, channel: 'http', origin: 'req-mixed' });
      expect(m.value.event).toMatchObject({ district_id: 'd1', source: 'agent' });
      expect(m.key).toBe(`d1|${m.value.event.user.sourced_id}`);
    }
    const u1 = raw.filter((m) => m.key === 'd1|u1');
    expect(u1).toHaveLength(2);
    expect(new Set(u1.map((m) => m.partition)).size).toBe(1); // one person, one partition
    expect(u1.map((m) => m.value.event.event_id)).toEqual(['e-1', 'e-3']); // in order

    const dlq = await collector.waitFor<DeadLetter>(env.topics.dlq, dlqOf('req-mixed'), 5);
    // Each letter names the adapter that refused it, so `dlq replay` can re-run it.
    expect(new Set(dlq.map((m) => m.value.input_format))).toEqual(new Set(['native']));
    expect(dlq).toHaveLength(5);
    const byOrigin = new Map(dlq.map((m) => [m.value.origin, m]));
    const bad = byOrigin.get('req-mixed#2')!;
    expect(bad.key).toBe('agent');
    expect(bad.value).toMatchObject({
      stage: 'ingest',
      source: 'agent',
      district_id: 'd1',
      reason: { code: 'invalid_field', field: 'occurred_at' },
    });
    expect(JSON.parse(bad.value.payload)).toEqual(items[2]);
    expect(JSON.parse(byOrigin.get('req-mixed#5')!.value.payload)).toBe('not an object');
    expect(JSON.parse(byOrigin.get('req-mixed#4')!.value.payload)).toEqual(items[4]);
  });

  test('a single JSON object is one event; x-api-key works as well as Bearer', async () => {
    const res = await post('/v1/events', JSON.stringify(nativeEvent('single-1', 'u9')), {
      'x-api-key': agentKey,
      'x-request-id': 'req-single',
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: 1, rejected: [], skipped: 0 });
    const raw = await collector.waitFor<RawMessage>(env.topics.raw, rawOf('req-single'), 1);
    expect(raw).toHaveLength(1);
  });

  test('NDJSON: a malformed line is rejected by line number, the others are accepted', async () => {
    const lines = [
      JSON.stringify(nativeEvent('nd-1', 'u1')),
      '{"event_id": "nd-broken", ',
      '',
      JSON.stringify(nativeEvent('nd-2', 'u2')),
      JSON.stringify({ ...nativeEvent('nd-bad-app', 'u2'), app: { domain: 'not a domain' } }),
    ];
    const res = await post('/v1/events', lines.join('\n') + '\n', {
      authorization: `Bearer ${agentKey}`,
      'content-type': 'application/x-ndjson',
      'x-request-id': 'req-ndjson',
    });
    expect(res.statusCode).toBe(202);
    const body = res.json<IngestResponse>();
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r) => [r.line, r.reason.code, r.reason.field])).toEqual([
      [2, 'malformed_json', undefined],
      [5, 'invalid_field', 'app.domain'],
    ]);
    const raw = await collector.waitFor<RawMessage>(env.topics.raw, rawOf('req-ndjson'), 2);
    expect(raw.map((m) => m.value.event.event_id).sort()).toEqual(['nd-1', 'nd-2']);
    const dlq = await collector.waitFor<DeadLetter>(env.topics.dlq, dlqOf('req-ndjson'), 2);
    const broken = dlq.find((m) => m.value.reason.line === 2)!;
    expect(broken.value.payload).toBe(lines[1]);
    expect(broken.value.reason.code).toBe('malformed_json');
    expect(dlq.find((m) => m.value.reason.line === 5)!.value.reason.field).toBe('app.domain');
  });

  test('a body saved "UTF-8 with BOM" (PowerShell 5.1 Out-File): NDJSON keeps its first line, a JSON array is read', async () => {
    const lines = [JSON.stringify(nativeEvent('bom-1', 'u1')), JSON.stringify(nativeEvent('bom-2', 'u2'))];
    const ndjson = await post('/v1/events', '\uFEFF' + lines.join('\r\n') + '\r\n', {
      authorization: `Bearer ${agentKey}`,
      'content-type': 'application/x-ndjson',
      'x-request-id': 'req-bom-ndjson',
    });
    expect(ndjson.statusCode).toBe(202);
    expect(ndjson.json()).toEqual({ accepted: 2, rejected: [], skipped: 0 });
    const raw = await collector.waitFor<RawMessage>(env.topics.raw, rawOf('req-bom-ndjson'), 2);
    expect(raw.map((m) => m.value.event.event_id).sort()).toEqual(['bom-1', 'bom-2']);

    const array = [nativeEvent('bom-3', 'u1'), nativeEvent('bom-4', 'u2')];
    const json = await post('/v1/events', '\uFEFF' + JSON.stringify(array), {
      authorization: `Bearer ${agentKey}`,
      'x-request-id': 'req-bom-json',
    });
    expect(json.statusCode).toBe(202);
    expect(json.json()).toEqual({ accepted: 2, rejected: [], skipped: 0 });
  });

  test('a body that is not JSON → 400 malformed_json, and the body is dead-lettered', async () => {
    const text = 'this is <not> json';
    const res = await post('/v1/events', text, { authorization: `Bearer ${agentKey}`, 'x-request-id': 'req-notjson' });
    expect(res.statusCode).toBe(400);
    const body = res.json<IngestResponse>();
    expect(body.accepted).toBe(0);
    expect(body.rejected[0]!.reason.code).toBe('malformed_json');
    expect(body.rejected[0]!.reason.message).toMatch(/not JSON/);
    const dlq = await collector.waitFor<DeadLetter>(env.topics.dlq, dlqOf('req-notjson'), 1);
    expect(dlq[0]!.value.payload).toBe(text);
  });

  test('everything rejected → 422 with the same body shape', async () => {
    const res = await post('/v1/events', JSON.stringify([{ event_id: 'x' }]), {
      authorization: `Bearer ${agentKey}`,
      'x-request-id': 'req-allbad',
    });
    expect(res.statusCode).toBe(422);
    const body = res.json<IngestResponse>();
    expect(body.accepted).toBe(0);
    expect(body.rejected).toHaveLength(1);
    expect(body.rejected[0]!.index).toBe(0);
    await collector.waitFor<DeadLetter>(env.topics.dlq, dlqOf('req-allbad'), 1);
  });

  test('unknown key → 401 with a clear message, counted, nothing produced', async () => {
    const res = await post('/v1/events', JSON.stringify([nativeEvent('unauth-1', 'u1')]), {
      authorization: 'Bearer not-a-real-key',
      'x-request-id': 'req-unauth',
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({
      error: 'unknown_api_key',
      message: expect.stringMatching(/not known or was revoked/),
    });
    const missing = await post('/v1/events', '[]', {});
    expect(missing.statusCode).toBe(401);
    expect(missing.json().message).toMatch(/Authorization: Bearer/);
    const metrics = await service.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/edusage_ingest_auth_failures_total\{route="\/v1\/events",reason="unknown"\} [1-9]/);
    expect(metrics.body).toMatch(/edusage_ingest_auth_failures_total\{route="\/v1\/events",reason="missing"\} [1-9]/);
    await new Promise((r) => setTimeout(r, 1000));
    expect(collector.messages.filter((m) => JSON.stringify(m.value).includes('req-unauth'))).toHaveLength(0);
  });

  test('a revoked key stops working (cache disabled here by a fresh store)', async () => {
    const store = new ApiKeyStore(redis, config.REDIS_KEY_PREFIX, 0);
    const { key, entry } = await store.create({ districtId: 'd1', source: 'agent', name: 'temp' });
    expect((await store.resolve(key))?.name).toBe('temp');
    expect(await redis.hget(`${config.REDIS_KEY_PREFIX}apikeys`, entry.hash)).not.toBeNull();
    expect(JSON.stringify(await redis.hgetall(`${config.REDIS_KEY_PREFIX}apikeys`))).not.toContain(key); // only hashes stored
    expect((await store.revoke(entry.id)).map((e) => e.id)).toEqual([entry.id]);
    expect(await store.resolve(key)).toBeNull();
  });

  test('body over INGEST_MAX_BODY_BYTES → 413; more than INGEST_MAX_ITEMS items → 413', async () => {
    const big = JSON.stringify([{ ...nativeEvent('big', 'u1'), pad: 'x'.repeat(70_000) }]);
    const res = await post('/v1/events', big, { authorization: `Bearer ${agentKey}` });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: 'payload_too_large', message: expect.stringMatching(/65536 bytes/) });

    const many = JSON.stringify(Array.from({ length: 51 }, (_, i) => nativeEvent(`many-${i}`, 'u1')));
    const res2 = await post('/v1/events', many, { authorization: `Bearer ${agentKey}` });
    expect(res2.statusCode).toBe(413);
    expect(res2.json()).toMatchObject({ error: 'too_many_items', message: expect.stringMatching(/at most 50/) });

    const manyLines = Array.from({ length: 51 }, (_, i) => JSON.stringify(nativeEvent(`ml-${i}`, 'u1'))).join('\n');
    const res3 = await post('/v1/events', manyLines, {
      authorization: `Bearer ${agentKey}`,
      'content-type': 'application/x-ndjson',
    });
    expect(res3.statusCode).toBe(413);
  });

  test('gzip-encoded bodies are accepted', async () => {
    const res = await post('/v1/events', gzipSync(JSON.stringify([nativeEvent('gz-1', 'u1')])), {
      authorization: `Bearer ${agentKey}`,
      'content-encoding': 'gzip',
      'x-request-id': 'req-gzip',
    });
    expect(res.statusCode).toBe(202);
    expect(res.json<IngestResponse>().accepted).toBe(1);
  });

  test('on a real port: POST with fetch, then the event is in usage.raw', async () => {
    const res = await fetch(`${service.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agentKey}`, 'content-type': 'application/json', 'x-request-id': 'req-port' },
      body: JSON.stringify([nativeEvent('port-1', 'u5')]),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, rejected: [], skipped: 0 });
    const raw = await collector.waitFor<RawMessage>(env.topics.raw, rawOf('req-port'), 1);
    expect(raw[0]!.key).toBe('d1|u5');
  });
});

// The xAPI route (an LRS statements resource) is tested in xapi.test.ts.
describe('POST /v1/caliper', () => {
  test('a Caliper 1.2 envelope (IMS fixture, times moved to now): supported events accepted, the other rejected naming its field', async () => {
    const envelope = JSON.parse(
      readFileSync(path.join(fixtures, 'caliper-common-fixtures/v1p2/caliperEnvelopeEventBatch.json'), 'utf8'),
    );
    envelope.data.forEach((e: Record<string, unknown>, i: number) => (e.eventTime = isoMinutesAgo(30 - i)));
    // The middle event is an AnnotationEvent Bookmarked (use); give it an action Caliper does not define.
    envelope.data[1].action = 'Graded';
    const res = await post('/v1/caliper', JSON.stringify(envelope), {
      authorization: `Bearer ${caliperKey}`,
      'x-request-id': 'req-caliper',
    });
    expect(res.statusCode).toBe(202);
    const body = res.json<IngestResponse>();
    expect(body.accepted).toBe(2);
    expect(body.rejected).toHaveLength(1);
    expect(body.rejected[0]).toMatchObject({ index: 1, reason: { code: 'unsupported_event', field: 'action' } });
    const raw = await collector.waitFor<RawMessage>(env.topics.raw, rawOf('req-caliper'), 2);
    expect(raw.map((m) => m.value.event.type)).toEqual(['page_view', 'page_view']);
    expect(raw.every((m) => m.value.event.source === 'caliper' && m.key === 'd1|554433')).toBe(true);
    const dlq = await collector.waitFor<DeadLetter>(env.topics.dlq, dlqOf('req-caliper'), 1);
    expect(dlq[0]!.value.input_format).toBe('caliper');
    expect(JSON.parse(dlq[0]!.value.payload)).toEqual(envelope.data[1]);
  });

  test('entities and a GradeEvent in an envelope are counted as skipped, not dead-lettered (IMS mixed batch)', async () => {
    const envelope = JSON.parse(
      readFileSync(path.join(fixtures, 'caliper-common-fixtures/v1p1/caliperEnvelopeMixedBatch.json'), 'utf8'),
    );
    envelope.data.forEach((e: Record<string, unknown>) => {
      if ('eventTime' in e) e.eventTime = isoMinutesAgo(20);
    });
    const res = await post('/v1/caliper', JSON.stringify(envelope), {
      authorization: `Bearer ${caliperKey}`,
      'x-request-id': 'req-caliper-mixed',
    });
    expect(res.statusCode).toBe(202);
    // Four entity descriptions and the auto-grader's GradeEvent are skipped; AssessmentEvent Started and Submitted are use.
    expect(res.json<IngestResponse>()).toMatchObject({ accepted: 2, rejected: [], skipped: 5 });
    const raw = await collector.waitFor<RawMessage>(env.topics.raw, rawOf('req-caliper-mixed'), 2);
    expect(raw.map((m) => m.value.event.type)).toEqual(['use', 'use']);
  });
});

describe('health and metrics', () => {
  test('/healthz, /readyz against real Kafka and Redis, /metrics', async () => {
    expect((await service.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await service.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', kafka: true, redis: true });
    const metrics = await service.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.headers['content-type']).toMatch(/text\/plain/);
    expect(metrics.body).toMatch(/edusage_ingest_events_accepted_total\{route="\/v1\/events",source="agent"\} \d+/);
    expect(metrics.body).toMatch(
      /edusage_ingest_events_rejected_total\{route="\/v1\/events",code="district_mismatch"\} \d+/,
    );
    expect(metrics.body).toMatch(/edusage_ingest_kafka_produce_duration_seconds_count\{topic="[^"]+usage\.raw"\} \d+/);
    expect(metrics.body).toMatch(
      /edusage_ingest_http_request_duration_seconds_count\{route="\/v1\/events",method="POST",status="202"\} \d+/,
    );
    expect(metrics.body).toMatch(
      /edusage_ingest_requests_refused_total\{route="\/v1\/events",code="payload_too_large"\} \d+/,
    );
  });
});

describe('URLs reach usage.raw without query string, fragment or credentials', () => {
  const secret = 'S3ss10nT0kenXq9';
  test('native app.url and a Caliper object IRI', async () => {
    const res = await post(
      '/v1/events',
      JSON.stringify(
        nativeEvent('url-1', 'stu-url', {
          app: { url: `https://user:${secret}@www.khanacademy.org/math/algebra?session=${secret}#frag-${secret}` },
        }),
      ),
      { authorization: `Bearer ${agentKey}`, 'x-request-id': 'req-url-native' },
    );
    expect(res.statusCode).toBe(202);
    const envelope = JSON.parse(
      readFileSync(path.join(fixtures, 'caliper-common-fixtures/v1p2/caliperEnvelopeEventBatch.json'), 'utf8'),
    );
    const event = envelope.data[0];
    event.eventTime = isoMinutesAgo(3);
    event.object.id = `https://example.edu/terms/201801/courses/7/sections/1/pages/2?token=${secret}#p-${secret}`;
    const cal = await post('/v1/caliper', JSON.stringify({ ...envelope, data: [event] }), {
      authorization: `Bearer ${caliperKey}`,
      'x-request-id': 'req-url-caliper',
    });
    expect(cal.statusCode).toBe(202);
    const [native] = await collector.waitFor<RawMessage>(env.topics.raw, rawOf('req-url-native'), 1);
    const [caliper] = await collector.waitFor<RawMessage>(env.topics.raw, rawOf('req-url-caliper'), 1);
    expect(native!.value.event.app.url).toBe('https://www.khanacademy.org/math/algebra');
    expect(JSON.stringify(native!.value)).not.toContain(secret.slice(0, 6));
    expect(JSON.stringify(caliper!.value)).not.toContain(secret.slice(0, 6));
    // Host and path stay: the catalog resolves the host, the meaning rules read the path.
    expect(caliper!.value.event.app.url ?? '').not.toMatch(/[?#]/);
  });
});
