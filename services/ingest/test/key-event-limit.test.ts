import type { FastifyRequest } from 'fastify';
import type { WindowAnswer } from '@edusage/redis';
import { keyEventLimit, type TakeEvents } from '../src/key-event-limit';
import { createMetrics } from '../src/metrics';
import { RequestRefused } from '../src/request-refused';

// The rules of the per-key limit around its Redis counter (the counter itself: key-rate-limit.test.ts).

function requestOf(keyId: string, eventsPerMinute?: number) {
  const warnings: unknown[] = [];
  const request = {
    sender: {
      district_id: 'd1',
      source: 'extension',
      name: 'n',
      created_at: '2026-01-01T00:00:00Z',
      key_id: keyId,
      ...(eventsPerMinute !== undefined ? { events_per_minute: eventsPerMinute } : {}),
    },
    log: { warn: (...args: unknown[]) => warnings.push(args) },
  } as unknown as FastifyRequest;
  return { request, warnings };
}

function setUp(take: TakeEvents, defaultPerMinute = 10) {
  let clock = 1_000_000;
  const metrics = createMetrics({ defaultMetrics: false });
  const limit = keyEventLimit({ take, defaultPerMinute, metrics, now: () => clock });
  return { limit, metrics, advance: (ms: number) => (clock += ms) };
}

test('Redis not answering lets requests through, counted, and warns at most every 10 s', async () => {
  const { limit, metrics, advance } = setUp(() => Promise.reject(new Error('connection refused')));
  const { request, warnings } = requestOf('k1');
  for (let i = 0; i < 5; i++) await expect(limit.charge(request, 3)).resolves.toBeUndefined();
  expect(warnings).toHaveLength(1);
  advance(10_000);
  await limit.charge(request, 3);
  expect(warnings).toHaveLength(2);
  expect((await metrics.keyLimitUnchecked.get()).values[0]!.value).toBe(6);
});

test('no limit (0, own or default) and empty requests never ask Redis', async () => {
  const asked: string[] = [];
  const take: TakeEvents = async (keyId) => {
    asked.push(keyId);
    return { allowed: true };
  };
  const { limit } = setUp(take, 0);
  await limit.charge(requestOf('default-none').request, 5);
  await limit.charge(requestOf('own-none', 0).request, 5);
  await limit.charge(requestOf('own', 3).request, 0);
  expect(asked).toEqual([]);
  await limit.charge(requestOf('own', 3).request, 1);
  expect(asked).toEqual(['own']);
});

test('a refused key is refused unread until its window ends, then asks Redis again', async () => {
  let answer: WindowAnswer = { allowed: false, retryAfterSeconds: 30 };
  const { limit, advance } = setUp(async () => answer);
  const { request } = requestOf('k2');
  const refusal = await limit.charge(request, 1).catch((e: unknown) => e);
  expect(refusal).toBeInstanceOf(RequestRefused);
  expect(refusal).toMatchObject({ statusCode: 429, code: 'key_rate_limited', headers: { 'retry-after': '30' } });
  advance(20_000);
  expect(() => limit.refuseIfSpent(request)).toThrow(expect.objectContaining({ headers: { 'retry-after': '10' } }));
  // Another key is not affected.
  expect(() => limit.refuseIfSpent(requestOf('k3').request)).not.toThrow();
  advance(10_000);
  expect(() => limit.refuseIfSpent(request)).not.toThrow();
  answer = { allowed: true };
  await expect(limit.charge(request, 1)).resolves.toBeUndefined();
});
