/** /readyz answers 503 `stopping` as soon as the service's stop begins (real Kafka and Redis). */
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { createLogger } from '@edusage/logging';
import { startIngest } from '../src/app';
import { loadIngestConfig } from '../src/config';

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv('ingest_stop');
});
afterAll(async () => {
  await env?.cleanup();
});

test('/readyz is 503 "stopping" from the moment stop() is called', async () => {
  const config = loadIngestConfig({ ...env.env, INGEST_PORT: '0' });
  const service = await startIngest(config, createLogger('ingest-test', env.env.LOG_LEVEL), { listen: true });
  const before = await service.app.inject({ method: 'GET', url: '/readyz' });
  expect([before.statusCode, before.json()]).toEqual([200, { status: 'ready', kafka: true, redis: true }]);

  const stopped = service.stop();
  const during = await service.app.inject({ method: 'GET', url: '/readyz' });
  await stopped;
  expect(during.statusCode).toBe(503);
  expect(during.json()).toMatchObject({ status: 'stopping' });
});
