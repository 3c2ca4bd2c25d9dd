import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import { Registry } from 'prom-client';
import { monitorConsumer } from '../src/monitor';

// The rules of readiness, driven by the kafkajs instrumentation events a real consumer emits
// (the child-process tests in services/enrich and services/aggregate drive them for real).

const EVENTS = {
  GROUP_JOIN: 'consumer.group_join',
  HEARTBEAT: 'consumer.heartbeat',
  CRASH: 'consumer.crash',
  STOP: 'consumer.stop',
  DISCONNECT: 'consumer.disconnect',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
};

function setup() {
  const emitter = new EventEmitter();
  const consumer = { events: EVENTS, on: (e: string, fn: (ev: unknown) => void) => emitter.on(e, fn) };
  let t = 1_000_000;
  const fatal: Error[] = [];
  const monitor = monitorConsumer(consumer as unknown as Consumer, {
    group: 'g',
    registry: new Registry(),
    sessionTimeoutMs: 30_000,
    stallTimeoutMs: 60_000,
    onFatal: (err) => fatal.push(err),
    now: () => t,
  });
  const emit = (e: keyof typeof EVENTS, payload: Record<string, unknown> = {}) => emitter.emit(EVENTS[e], { payload });
  const batch = (offsetLag: number, batchSize = 10) => ({
    topic: 'raw',
    partition: 0,
    offsetLag: String(offsetLag),
    batchSize,
  });
  return { monitor, emit, batch, fatal, advance: (ms: number) => (t += ms) };
}

test('not ready before joining; ready after; not ready when heartbeats stop', () => {
  const { monitor, emit, advance } = setup();
  expect(monitor.check().ok).toBe(false);
  emit('GROUP_JOIN');
  expect(monitor.check().ok).toBe(true);
  advance(25_000);
  emit('HEARTBEAT');
  advance(25_000);
  expect(monitor.check().ok).toBe(true);
  advance(10_000);
  expect(monitor.check()).toMatchObject({ ok: false, detail: { problem: expect.stringMatching(/no heartbeat/) } });
});

test('a batch running past the stall timeout, or lag with no finished batch, is not ready; idle with no lag is', () => {
  const { monitor, emit, batch, advance } = setup();
  emit('GROUP_JOIN');
  emit('START_BATCH_PROCESS', batch(5));
  advance(59_000);
  emit('HEARTBEAT');
  expect(monitor.check().ok).toBe(true);
  advance(2_000);
  expect(monitor.check()).toMatchObject({
    ok: false,
    detail: { problem: expect.stringMatching(/batch has been running/) },
  });
  emit('END_BATCH_PROCESS', batch(5));
  expect(monitor.check()).toMatchObject({ ok: true, detail: { lag: 5 } });
  advance(50_000);
  emit('HEARTBEAT');
  advance(11_000);
  emit('HEARTBEAT');
  expect(monitor.check()).toMatchObject({
    ok: false,
    detail: { problem: expect.stringMatching(/lag 5 and no batch finished/) },
  });
  emit('START_BATCH_PROCESS', batch(0, 5));
  emit('END_BATCH_PROCESS', batch(0, 5));
  advance(25_000);
  emit('HEARTBEAT');
  advance(25_000);
  emit('HEARTBEAT');
  expect(monitor.check()).toMatchObject({ ok: true, detail: { lag: 0 } }); // caught up and idle
});

test('a crash: restarting is not ready until it joins again; restart=false calls onFatal', () => {
  const { monitor, emit, fatal } = setup();
  emit('GROUP_JOIN');
  emit('CRASH', { error: new Error('coordinator moved'), restart: true });
  expect(monitor.check()).toMatchObject({ ok: false, detail: { problem: expect.stringMatching(/restarting/) } });
  expect(fatal).toHaveLength(0);
  emit('GROUP_JOIN');
  expect(monitor.check().ok).toBe(true);
  emit('CRASH', { error: new Error('MESSAGE_TOO_LARGE'), restart: false });
  expect(fatal.map((e) => e.message)).toEqual(['MESSAGE_TOO_LARGE']);
  expect(monitor.check().ok).toBe(false);
  emit('GROUP_JOIN');
  emit('STOP');
  expect(monitor.check()).toMatchObject({ ok: false, detail: { problem: 'consumer stopped' } });
});
