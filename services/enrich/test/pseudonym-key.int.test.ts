import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { parse } from 'yaml';
import { createKafka } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import {
  enrichConfigSchema,
  importRoster,
  PseudonymKeyChangedError,
  recordOrCheckPseudonymKey,
  startEnrichWorker,
  loadEnrichConfig,
} from '../src';

// A silent key change gives every person a second person_id; the placeholder of docker-compose.yml is
// public. Both must stop enrich (and the commands that pseudonymize) before anything is written.
const KEY_A = 'pseudonym-key-A-0123456789abcdef';
const KEY_B = 'pseudonym-key-B-0123456789abcdef';

const composeFile = parse(readFileSync(path.join(__dirname, '../../../docker-compose.yml'), 'utf8'), {
  merge: true,
}) as { services: Record<string, { environment: Record<string, string> }> };

let env: TestEnv;
let redis: Redis;
let tmp: string;

beforeAll(async () => {
  env = await createTestEnv('enrich_pseudonym_key');
  redis = new Redis(env.config.REDIS_URL);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'edusage-key-'));
});

afterAll(async () => {
  redis?.disconnect();
  await env?.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

test('the placeholder PSEUDONYM_KEY of docker-compose.yml is refused with a clear config error', () => {
  // docker-compose.yml: PSEUDONYM_KEY: ${PSEUDONYM_KEY:-<placeholder>}; the placeholder is what runs without .env.
  const composed = String(composeFile.services.enrich!.environment.PSEUDONYM_KEY);
  const placeholder = /^\$\{PSEUDONYM_KEY:-(.+)\}$/.exec(composed)?.[1] ?? composed;
  expect(placeholder.length).toBeGreaterThanOrEqual(16);
  const parsed = enrichConfigSchema.safeParse({ PSEUDONYM_KEY: placeholder });
  expect(parsed.success).toBe(false);
  expect(() => loadEnrichConfig({ PSEUDONYM_KEY: placeholder })).toThrow(/PSEUDONYM_KEY.*placeholder/);
  expect(enrichConfigSchema.safeParse({ PSEUDONYM_KEY: KEY_A }).success).toBe(true);
});

test('the first start records a fingerprint (not the key); the same key passes, another is refused', async () => {
  const scope = { redis, prefix: env.config.REDIS_KEY_PREFIX };
  await recordOrCheckPseudonymKey({ ...scope, key: KEY_A });
  await recordOrCheckPseudonymKey({ ...scope, key: KEY_A });
  const stored = (await redis.keys(`${env.config.REDIS_KEY_PREFIX}*`)).join('\n');
  const values = await Promise.all(
    (await redis.keys(`${env.config.REDIS_KEY_PREFIX}*`)).map((k) => redis.get(k).catch(() => '')),
  );
  expect(`${stored}\n${values.join('\n')}`).not.toContain(KEY_A);
  const changed = recordOrCheckPseudonymKey({ ...scope, key: KEY_B });
  await expect(changed).rejects.toBeInstanceOf(PseudonymKeyChangedError);
  await expect(changed).rejects.toThrow(/Restore the PSEUDONYM_KEY/);
  // Another deployment (prefix) has its own record.
  await recordOrCheckPseudonymKey({ redis, prefix: `${env.config.REDIS_KEY_PREFIX}other:`, key: KEY_B });
});

test('the enrich worker and the roster import refuse a changed key before writing anything', async () => {
  const config = loadEnrichConfig({
    ...env.env,
    PSEUDONYM_KEY: KEY_B,
    ENRICH_GROUP_ID: `g-${env.config.CLICKHOUSE_DATABASE}`,
  });
  const logger = createLogger('key-test', 'silent');
  await expect(startEnrichWorker({ config, logger, kafka: createKafka(config, logger), redis })).rejects.toBeInstanceOf(
    PseudonymKeyChangedError,
  );

  const dir = path.join(tmp, 'roster');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'orgs.csv'), 'sourcedId,name,type,parentSourcedId\nsch1,School,school,\n');
  const before = (await redis.keys(`${env.config.REDIS_KEY_PREFIX}roster:*`)).length;
  await expect(
    importRoster({ dir, districtId: 'd1', redis, redisPrefix: env.config.REDIS_KEY_PREFIX, pseudonymKey: KEY_B }),
  ).rejects.toBeInstanceOf(PseudonymKeyChangedError);
  expect((await redis.keys(`${env.config.REDIS_KEY_PREFIX}roster:*`)).length).toBe(before);
});

test('`enrich pseudonym-key rekey --confirm-split` records the new key; without the flag nothing changes', () => {
  const cli = path.join(__dirname, '../dist/cli.js');
  const run = (args: string[]) =>
    spawnSync(process.execPath, [cli, 'pseudonym-key', 'rekey', ...args], {
      env: { ...process.env, ...env.env, PSEUDONYM_KEY: KEY_B },
      encoding: 'utf8',
    });
  const refused = run([]);
  expect(refused.status).toBe(1);
  expect(refused.stderr).toMatch(/--confirm-split/);
  expect(run(['--confirm-split']).status).toBe(0);
  return expect(
    recordOrCheckPseudonymKey({ redis, prefix: env.config.REDIS_KEY_PREFIX, key: KEY_B }),
  ).resolves.toBeUndefined();
});
