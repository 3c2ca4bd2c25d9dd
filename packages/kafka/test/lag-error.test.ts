import { createServer, type Server } from 'node:net';
import { Kafka, KafkaJSNonRetriableError, KafkaJSProtocolError, logLevel } from 'kafkajs';
import { consumerLag, lagErrorText } from '../src/lag';

// What /v1/pipeline/lag may tell an admin when Kafka fails: never the brokers' addresses.

/** A port nothing listens on: taken, then freed. */
async function closedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test("kafkajs' real error for brokers that do not answer becomes a sentence without their address", async () => {
  const port = await closedPort();
  const kafka = new Kafka({
    clientId: 'lag-error-test',
    brokers: [`127.0.0.1:${port}`],
    connectionTimeout: 500,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const err = await consumerLag(kafka, 'some-group', ['some-topic']).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(Error);
  // The raw message names the address; the text for the admin does not.
  expect(String((err as Error).message)).toContain(String(port));
  const text = lagErrorText(err);
  expect(text).toBe('the brokers did not answer (the API log has the details)');
  expect(text).not.toContain(String(port));
});

test("Kafka's protocol errors keep their fixed text, also wrapped; anything else is not quoted", () => {
  const missing = new KafkaJSProtocolError({
    message: 'This server does not host this topic-partition',
    type: 'UNKNOWN_TOPIC_OR_PARTITION',
    code: 3,
    retriable: true,
  } as never);
  expect(lagErrorText(missing)).toBe('This server does not host this topic-partition');
  expect(lagErrorText(Object.assign(new KafkaJSNonRetriableError(missing), { cause: missing }))).toBe(
    'This server does not host this topic-partition',
  );
  expect(lagErrorText(new Error('connect ECONNREFUSED 10.1.2.3:9092'))).toBe(
    'an unexpected error (the API log has the details)',
  );
  expect(lagErrorText('not an error')).toBe('an unexpected error (the API log has the details)');
  const cycle = new Error('wraps itself');
  (cycle as { cause?: unknown }).cause = cycle;
  expect(lagErrorText(cycle)).toBe('an unexpected error (the API log has the details)');
});
