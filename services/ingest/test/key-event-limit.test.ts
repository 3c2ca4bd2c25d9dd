import type { FastifyRequest } from 'fastify';
import type { WindowAnswer } from '@edusage/redis';
import { keyEventLimit, type EventBudgets } from '../src/key-event-limit';
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

function setUp(take: EventBudgets['take'], defaultPerMinute = 10, giveBack: EventBudgets['giveBack'] = async () => {}) {
  let clock = 1_000_000;
  const metrics = createMetrics({ defaultMetrics: false });
  const limit = keyEventLimit({ budgets: { take, giveBack }, defaultPerMinute, metrics, now: () => clock });
  return { limit, metrics, advance: (ms: number) => (clock += ms) };
}

test('Redis not answering lets requests through, counted, and warns at most every 10 s', async () => {
  const { limit, metrics, advance } = setUp(() => Promise.reject(new Error('connection refused')));
  const { request, warnings } = requestOf('k1');
  for (let i = 0; i < 5; i++) await expect(limit.charge(request, 3)).resolves.toBeInstanceOf(Function);
  expect(warnings).toHaveLength(1);
  advance(10_000);
  await limit.charge(request, 3);
  expect(warnings).toHaveLength(2);
  expect((await metrics.keyLimitUnchecked.get()).values[0]!.value).toBe(6);
});

test('no limit (0, own or default) and empty requests never ask Redis', async () => {
  const asked: string[] = [];
  const take: EventBudgets['take'] = async (keyId) => {
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
  await expect(limit.charge(request, 1)).resolves.toBeInstanceOf(Function);
});

test('what a charge took can be given back, once per charge; a failed give-back only warns', async () => {
  const given: Array<[string, number]> = [];
  let failGiveBack = false;
  const { limit } = setUp(
    async () => ({ allowed: true }),
    10,
    async (keyId, amount) => {
      if (failGiveBack) throw new Error('redis down');
      given.push([keyId, amount]);
    },
  );
  const { request, warnings } = requestOf('k4');
  const giveBack = await limit.charge(request, 7);
  await giveBack();
  expect(given).toEqual([['k4', 7]]);
  // Nothing taken (no limit, or nothing to count): nothing given back.
  await (
    await limit.charge(requestOf('k5', 0).request, 7)
  )();
  await (
    await limit.charge(request, 0)
  )();
  expect(given).toEqual([['k4', 7]]);
  failGiveBack = true;
  await expect((await limit.charge(request, 2))()).resolves.toBeUndefined();
  expect(warnings).toHaveLength(1);
});
