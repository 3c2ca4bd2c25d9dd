/**
 * Which Kafka group errors make the sink abandon its batches so that kafkajs rejoins the group. The
 * coordinator moving is one: retrying a commit against the old coordinator never succeeds (the
 * 3-broker e2e test stalled with "This is not the correct coordinator for this group" for minutes).
 */
import { mustRejoin } from '../src/errors';

/** A kafkajs-like protocol error of `type`, optionally wrapped the way kafkajs wraps retried errors. */
const kafkaError = (type: string) => Object.assign(new Error(type), { type });
const wrapped = (cause: Error) => Object.assign(new Error('KafkaJSNumberOfRetriesExceeded'), { cause });

test('a moved coordinator or a lost membership means rejoin', () => {
  for (const type of [
    'NOT_COORDINATOR_FOR_GROUP',
    'REBALANCE_IN_PROGRESS',
    'ILLEGAL_GENERATION',
    'UNKNOWN_MEMBER_ID',
  ]) {
    expect([type, mustRejoin(kafkaError(type))]).toEqual([type, true]);
    expect([type, mustRejoin(wrapped(kafkaError(type)))]).toEqual([type, true]);
  }
});

test('other errors are retried in place', () => {
  for (const err of [
    kafkaError('COORDINATOR_LOAD_IN_PROGRESS'),
    kafkaError('REQUEST_TIMED_OUT'),
    new Error('ECONNREFUSED'),
    Object.assign(new Error('ClickHouse'), { code: '210' }),
    null,
  ]) {
    expect(mustRejoin(err)).toBe(false);
  }
});
