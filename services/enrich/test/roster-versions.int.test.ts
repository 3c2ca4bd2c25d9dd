import { Redis } from 'ioredis';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import {
  datasetKeys,
  emptyRoster,
  loadDistrictCatalog,
  loadRosterFromRedis,
  newVersionId,
  saveDistrictCatalog,
  saveRosterToRedis,
  type RosterData,
} from '../src';
import { sampleRoster } from './helpers';

// Review finding: two imports of one district at once. Import A (older version id) has written its
// data and is about to switch `current`; import B switches first and deletes the older versions, A's
// included; A then switched `current` to its own deleted version, and every read of the district
// failed with "kept changing while being read".

let env: TestEnv;
let redis: Redis;
let prefix: string;

beforeAll(async () => {
  env = await createTestEnv('enrich_versions', { kafka: false });
  redis = new Redis(env.config.REDIS_URL);
  prefix = env.config.REDIS_KEY_PREFIX;
});

afterAll(async () => {
  redis?.disconnect();
  await env?.cleanup();
});

function rosterOf(...ids: string[]): RosterData {
  const r = emptyRoster();
  const template = sampleRoster().users.get('stu1')!;
  for (const id of ids) r.users.set(id, { ...template, sourcedId: id, username: id, email: null });
  return r;
}

/** A client whose version switch (a script) waits until `release` is called: an import slow to switch. */
function heldAtSwitch(client: Redis): { redis: Redis; release: () => void } {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const proxy = new Proxy(client, {
    get(target, key) {
      if (key === 'eval' || key === 'evalsha') {
        return async (...args: unknown[]) => {
          await held;
          return Reflect.apply(target[key] as (...a: unknown[]) => Promise<unknown>, target, args);
        };
      }
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { redis: proxy, release };
}

const versionKeys = async (district: string, version: string) => redis.keys(`${prefix}roster:${district}:${version}:*`);

describe('switching a district to a new version', () => {
  it('refuses an older import that would switch after a newer one; the newer one stays current', async () => {
    const vA = newVersionId(Date.now() - 1_000);
    const vB = newVersionId(Date.now());
    const slow = heldAtSwitch(redis);
    const a = saveRosterToRedis(slow.redis, prefix, 'race1', rosterOf('a1', 'a2'), {}, vA);
    a.catch(() => undefined); // awaited below
    // A's parts and meta are written while it waits to switch.
    for (let i = 0; i < 100 && (await redis.exists(datasetKeys(prefix, 'roster', 'race1').meta(vA))) === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const b = await saveRosterToRedis(redis, prefix, 'race1', rosterOf('b1'), {}, vB);
    expect(b.deletedVersions).toEqual([vA]);
    slow.release();

    await expect(a).rejects.toThrow(
      `a newer import (${vB}) finished first; this one changed nothing — import again if this file is the newer one`,
    );
    expect(await redis.get(`${prefix}roster:race1:current`)).toBe(vB);
    const loaded = await loadRosterFromRedis(redis, prefix, 'race1');
    expect(loaded?.version).toBe(vB);
    expect([...loaded!.data.users.keys()]).toEqual(['b1']);
    expect(await versionKeys('race1', vA)).toEqual([]);
  });

  it('refuses an older import that finishes after a newer one, and leaves none of its keys', async () => {
    const vB = newVersionId(Date.now());
    const vA = newVersionId(Date.now() - 1_000);
    await saveRosterToRedis(redis, prefix, 'race2', rosterOf('b1'), {}, vB);
    await expect(saveRosterToRedis(redis, prefix, 'race2', rosterOf('a1'), {}, vA)).rejects.toThrow(
      `a newer import (${vB}) finished first`,
    );
    expect(await redis.get(`${prefix}roster:race2:current`)).toBe(vB);
    expect(await versionKeys('race2', vA)).toEqual([]);
    expect((await loadRosterFromRedis(redis, prefix, 'race2'))?.version).toBe(vB);
  });

  it('refuses to switch to a version whose data was deleted before the switch', async () => {
    const v1 = newVersionId(Date.now() - 5_000);
    await saveRosterToRedis(redis, prefix, 'race3', rosterOf('u1'), {}, v1);
    const v2 = newVersionId(Date.now());
    const slow = heldAtSwitch(redis);
    const write = saveRosterToRedis(slow.redis, prefix, 'race3', rosterOf('u2'), {}, v2);
    write.catch(() => undefined);
    const meta = datasetKeys(prefix, 'roster', 'race3').meta(v2);
    for (let i = 0; i < 100 && (await redis.exists(meta)) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await redis.unlink(...(await versionKeys('race3', v2)));
    slow.release();
    await expect(write).rejects.toThrow(/no longer exists.*changed nothing/);
    expect(await redis.get(`${prefix}roster:race3:current`)).toBe(v1);
  });

  it('orders version ids by their epoch milliseconds, not as text', async () => {
    // 999999999999 ms (2001) is older than 1000000000000 ms, though "9…" sorts after "1…" as text.
    const older = '999999999999-aaaaaa';
    const newer = '1000000000000-bbbbbb';
    await saveRosterToRedis(redis, prefix, 'order1', rosterOf('old'), {}, older);
    const written = await saveRosterToRedis(redis, prefix, 'order1', rosterOf('new'), {}, newer);
    expect(written.deletedVersions).toEqual([older]);
    await expect(saveRosterToRedis(redis, prefix, 'order1', rosterOf('old2'), {}, older)).rejects.toThrow(
      `a newer import (${newer}) finished first`,
    );
    expect(await redis.get(`${prefix}roster:order1:current`)).toBe(newer);
  });

  it('applies the same rule to catalog imports (one store)', async () => {
    const app = { app_id: 'portal', name: 'Portal', domains: ['portal.example.us'], category: 'portal' };
    const first = await saveDistrictCatalog(redis, prefix, 'cat1', [app]);
    // A newer import already current (e.g. from a machine whose clock is ahead).
    const ahead = newVersionId(Date.now() + 60_000);
    await redis.hset(datasetKeys(prefix, 'catalog', 'cat1').meta(ahead), { parts: 'apps', written_at: 'x' });
    await redis.set(datasetKeys(prefix, 'catalog', 'cat1').current, ahead);
    await expect(saveDistrictCatalog(redis, prefix, 'cat1', [app])).rejects.toThrow(
      `a newer import (${ahead}) finished first`,
    );
    expect(await redis.get(datasetKeys(prefix, 'catalog', 'cat1').current)).toBe(ahead);
    expect(first.version < ahead).toBe(true);
  });
});

describe('reading the current version', () => {
  it('says that the current version has no data (not that it kept changing) and what to do', async () => {
    const missing = newVersionId();
    await redis.set(datasetKeys(prefix, 'roster', 'gone1').current, missing);
    await expect(loadRosterFromRedis(redis, prefix, 'gone1')).rejects.toThrow(
      `current version ${missing} of district gone1 has no data: import its roster again`,
    );
    await redis.set(datasetKeys(prefix, 'catalog', 'gone1').current, missing);
    await expect(loadDistrictCatalog(redis, prefix, 'gone1')).rejects.toThrow(
      `current version ${missing} of district gone1 has no data: import its catalog again`,
    );
  });
});
