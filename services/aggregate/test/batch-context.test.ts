import type { Consumer, EachBatchPayload } from 'kafkajs';
import { createLogger } from '@edusage/logging';
import { BatchAbandoned, batchContext, type BatchContextDeps } from '../src/batch-context';
import { PartitionRefused } from '../src/errors';
import { MembershipFence } from '../src/fence';
import type { TopicHandler } from '../src/handlers';

// Pure logic of `persist` (no services: the step and the schema check are stand-ins): which failures
// ask whether the schema drifted, and when a drift refuses the partition instead of another retry.

const payload = {
  batch: { topic: 't', partition: 0 },
  heartbeat: async () => undefined,
  isRunning: () => true,
  isStale: () => false,
} as unknown as EachBatchPayload;

/** How 18.16 and current servers word an exception (the client sets `code` only for the second). */
const clickhouseError = () =>
  new Error('Code: 60, e.displayText() = DB::Exception: Table x.usage_events does not exist.');
const connectionError = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' });

function persistWith(
  checkSchema: BatchContextDeps['checkSchema'],
  driftConfirmMs = 0,
  extra: { stopped?: AbortSignal; onRetry?: () => void } = {},
) {
  const consumer = { on: () => undefined, events: { GROUP_JOIN: 'join' } } as unknown as Consumer;
  return batchContext(payload, {} as TopicHandler, {
    logger: createLogger('batch-context-test', 'silent'),
    fence: new MembershipFence(consumer),
    stopped: extra.stopped ?? new AbortController().signal,
    onRetry: extra.onRetry ?? (() => undefined),
    onHeartbeatError: () => undefined,
    checkSchema,
    driftConfirmMs,
  }).persist;
}

/** A step failing with `errors` in turn, then succeeding. */
function failingThen(errors: Error[]) {
  let calls = 0;
  return async () => {
    const err = errors[calls++];
    if (err) throw err;
    return 'stored';
  };
}

const drifted = () =>
  Promise.reject(new PartitionRefused('ClickHouse schema drifted (…): table usage_events is missing'));

test('a ClickHouse exception on an intact schema is retried, the schema checked before each retry', async () => {
  const check = jest.fn(async () => undefined);
  await expect(persistWith(check)('inserting', failingThen([clickhouseError(), clickhouseError()]))).resolves.toBe(
    'stored',
  );
  expect(check).toHaveBeenCalledTimes(2);
  expect(check).toHaveBeenCalledWith('inserting failed with ClickHouse error code 60');
});

test('a failure ClickHouse did not answer (a connection error) is retried without a check', async () => {
  const check = jest.fn(async () => undefined);
  await expect(persistWith(check)('inserting', failingThen([connectionError(), connectionError()]))).resolves.toBe(
    'stored',
  );
  expect(check).not.toHaveBeenCalled();
});

test('a schema check that fails itself does not refuse: the step is retried', async () => {
  const check = jest.fn(() => Promise.reject(connectionError()));
  await expect(persistWith(check)('inserting', failingThen([clickhouseError()]))).resolves.toBe('stored');
  expect(check).toHaveBeenCalledTimes(1);
});

test('a drift refuses the partition once it has lasted driftConfirmMs, not at the first sight', async () => {
  const check = jest.fn(drifted);
  const step = jest.fn(() => Promise.reject(clickhouseError()));
  const started = Date.now();
  const attempt = persistWith(check, 600)('looking up claims', step);
  await expect(attempt).rejects.toThrow(PartitionRefused);
  expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  expect(check.mock.calls.length).toBeGreaterThanOrEqual(2);
  expect(step.mock.calls.length).toBe(check.mock.calls.length);
});

test('a drift that comes and goes is timed from its last start (a table renamed away and created again)', async () => {
  // Checks at ~0, 0.25, 0.75 and 1.75 s: drifted, intact, drifted, intact. Timed from the first sight,
  // the third check (≥ 0.56 s) would refuse; timed from the drift's return, nothing lasts 500 ms.
  const intact = async () => undefined;
  const check = jest
    .fn<Promise<void>, [string]>()
    .mockImplementationOnce(drifted)
    .mockImplementationOnce(intact)
    .mockImplementationOnce(drifted)
    .mockImplementationOnce(intact);
  const step = failingThen([clickhouseError(), clickhouseError(), clickhouseError(), clickhouseError()]);
  await expect(persistWith(check, 500)('inserting', step)).resolves.toBe('stored');
  expect(check).toHaveBeenCalledTimes(4);
});

test('a check that could not tell does not restart the clock of the drift', async () => {
  // Checks at ~0, 0.25, 0.75 s: drifted, failed (unknown), drifted. Timed from the first sight the third
  // refuses (≥ 0.56 s > 500 ms); had the failed check reset the clock, it would not.
  const unknown = () => Promise.reject(connectionError());
  const check = jest
    .fn<Promise<void>, [string]>()
    .mockImplementationOnce(drifted)
    .mockImplementationOnce(unknown)
    .mockImplementation(drifted);
  const step = jest.fn(() => Promise.reject(clickhouseError()));
  await expect(persistWith(check, 500)('inserting', step)).rejects.toThrow(PartitionRefused);
  expect(check).toHaveBeenCalledTimes(3);
});

test('a stop during the check abandons the batch: no refusal, no retry counted', async () => {
  const stop = new AbortController();
  const onRetry = jest.fn();
  const check = jest.fn(async () => {
    stop.abort();
    throw new PartitionRefused('ClickHouse schema drifted (…): table usage_events is missing');
  });
  const attempt = persistWith(check, 0, { stopped: stop.signal, onRetry })('inserting', () =>
    Promise.reject(clickhouseError()),
  );
  await expect(attempt).rejects.toThrow(BatchAbandoned);
  expect(onRetry).not.toHaveBeenCalled();
});
