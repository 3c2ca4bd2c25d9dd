import { Redis } from 'ioredis';
import type { Logger } from '@edusage/logging';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { addErased, datasetKeys, DistrictRegistry, newVersionId, saveDistrictCatalog, saveRosterToRedis } from '../src';
import { KEY, sampleRoster } from './helpers';

// Review finding: once one district's `current` named a deleted version, every reload threw at that
// district: the districts after it were never reloaded, the erased-people sets (read last) never
// again, and /readyz stayed 200.

let env: TestEnv;
let redis: Redis;
let prefix: string;
const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
const logger = {
  info: () => undefined,
  warn: (obj: Record<string, unknown>, msg: string) => warnings.push({ obj, msg }),
  error: () => undefined,
  debug: () => undefined,
} as unknown as Logger;

beforeAll(async () => {
  env = await createTestEnv('enrich_registry', { kafka: false });
  redis = new Redis(env.config.REDIS_URL);
  prefix = env.config.REDIS_KEY_PREFIX;
});

afterAll(async () => {
  redis?.disconnect();
  await env?.cleanup();
});

/** Points a district's `current` at a version that has no data (what the import race left). */
async function breakCurrent(kind: 'roster' | 'catalog', district: string): Promise<string> {
  const missing = newVersionId();
  await redis.set(datasetKeys(prefix, kind, district).current, missing);
  await redis.sadd(datasetKeys(prefix, kind, district).districts, district);
  return missing;
}

const PORTAL = { app_id: 'portal', name: 'Portal', domains: ['portal.example.us'], category: 'portal' };

it('reloads every other district and the erased sets when one district cannot be read; keeps its last good roster', async () => {
  const registry = new DistrictRegistry({ redis, prefix, pseudonymKey: KEY, timeZoneFor: () => 'UTC', logger });
  for (const d of ['d0', 'd1', 'd2']) await saveRosterToRedis(redis, prefix, d, sampleRoster());
  await registry.refresh();
  const good = registry.rosterVersion('d1');
  expect(good).not.toBeNull();

  const missing = await breakCurrent('roster', 'd1');
  const d2 = await saveRosterToRedis(redis, prefix, 'd2', sampleRoster());
  await addErased(redis, prefix, 'd2', ['f'.repeat(32)]);
  const d4 = await breakCurrent('roster', 'd4'); // never loaded: nothing to keep
  await saveDistrictCatalog(redis, prefix, 'd5', [PORTAL]);
  await breakCurrent('catalog', 'd6');

  await registry.refresh();
  await registry.refresh(); // the same problem again: logged once
  expect(registry.rosterVersion('d2')).toBe(d2.version);
  expect(registry.view('d2').erased?.size).toBe(1);
  expect(registry.view('d5').catalog.resolve({ domain: 'portal.example.us' }).app_id).toBe('portal');
  // d1 keeps the roster it had; its events are still enriched with it.
  expect(registry.rosterVersion('d1')).toBe(good);
  expect(registry.view('d1').roster?.version).toBe(good);
  expect(registry.unavailable('d1')).toBeNull();
  // d4 and d6 have nothing to keep: their events must not be enriched as if they had no roster/catalog.
  expect(registry.unavailable('d4')).toEqual({
    code: 'roster_unavailable',
    message: expect.stringContaining(`current version ${d4} of district d4 has no data: import its roster again`),
  });
  expect(registry.unavailable('d6')?.code).toBe('catalog_unavailable');
  expect(registry.unavailable('d2')).toBeNull();

  const d1Warnings = warnings.filter((w) => w.obj['district'] === 'd1');
  expect(d1Warnings).toHaveLength(1);
  expect(d1Warnings[0]!.msg).toContain(
    `current version ${missing} of district d1 has no data: import its roster again`,
  );
  expect(d1Warnings[0]!.msg).toContain(`keeping the loaded version ${good}`);

  const health = await registry.health.check();
  expect(health.ok).toBe(false);
  expect(JSON.stringify(health.detail)).toContain('d1');
  expect(JSON.stringify(health.detail)).toContain('d4');
  expect(JSON.stringify(health.detail)).toContain('d6');

  // Imported again: loaded, and the readiness check is fine again.
  const again = await saveRosterToRedis(redis, prefix, 'd1', sampleRoster());
  await saveRosterToRedis(redis, prefix, 'd4', sampleRoster());
  await saveDistrictCatalog(redis, prefix, 'd6', [PORTAL]);
  await registry.refresh();
  expect(registry.rosterVersion('d1')).toBe(again.version);
  expect(registry.unavailable('d4')).toBeNull();
  expect(registry.unavailable('d6')).toBeNull();
  expect((await registry.health.check()).ok).toBe(true);
});
