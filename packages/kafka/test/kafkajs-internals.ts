/**
 * kafkajs' own send path (its sendMessages, eosManager and retrier, as installed with our patch) for
 * tests that run it against stand-in brokers, and a leased send as `sendAcknowledged` makes one.
 * `KAFKAJS_SRC` may name another kafkajs source (an earlier patch) to run such a test against.
 */
import path from 'node:path';
import type { Producer } from 'kafkajs';
import { leaseProducer } from '../src/renewed-producer';

export const kafkajsSrc =
  process.env.KAFKAJS_SRC ?? path.join(path.dirname(require.resolve('kafkajs/package.json')), 'src');
/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs' internals have no typings */
export const sendMessages = require(path.join(kafkajsSrc, 'producer/sendMessages')) as (
  o: object,
) => (s: object) => Promise<unknown>;
export const createEosManager = require(path.join(kafkajsSrc, 'producer/eosManager')) as (o: object) => {
  initProducerId(): Promise<void>;
};
export const createRetry = require(path.join(kafkajsSrc, 'retry')) as (o: object) => unknown;
export const { KafkaJSConnectionError } = require(path.join(kafkajsSrc, 'errors')) as {
  KafkaJSConnectionError: new (m: string, o: object) => Error;
};
export const { createErrorFromCode } = require(path.join(kafkajsSrc, 'protocol/error')) as {
  createErrorFromCode: (code: number) => Error;
};
/* eslint-enable @typescript-eslint/no-require-imports */

export const silent = { debug() {}, info() {}, warn() {}, error() {}, namespace: (): unknown => silent };
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One sendBatch of `messages` to topic `t` on a lease of `producer`, released failed if it throws. */
export async function sendLeased(producer: Producer, messages: { value: string; partition: number }[]): Promise<void> {
  const lease = await leaseProducer(producer);
  try {
    await lease.producer.sendBatch({ topicMessages: [{ topic: 't', messages }] });
  } catch (err) {
    lease.release(true);
    throw err;
  }
  lease.release(false);
}
