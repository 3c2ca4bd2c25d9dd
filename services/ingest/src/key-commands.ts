import { Option, type Command } from 'commander';
import { SOURCES, type Source } from '@edusage/contracts';
import { ApiKeyStore } from './apikeys';
import { createRedis } from './app';
import { loadIngestConfig } from './config';

interface CreateKeyFlags {
  district: string;
  source: Source;
  name: string;
  json?: boolean;
}

/** `keys create`, `keys list` and `keys revoke`: the per-source API keys, kept hashed in Redis. */
export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('manage per-source API keys (stored hashed in Redis)');
  keys
    .command('create')
    .description('create a key; it is printed once and only its sha256 is stored')
    .requiredOption('--district <id>', 'district the key writes for')
    .addOption(
      new Option('--source <source>', 'source of the events sent with the key').choices(SOURCES).makeOptionMandatory(),
    )
    .requiredOption('--name <name>', 'what the key is for (shown by keys list)')
    .option('--json', 'print JSON {key, id, district_id, source, name, created_at}')
    .action((o: CreateKeyFlags) => createKey(o));
  keys
    .command('list')
    .description('list keys (never the keys themselves: id = first 12 hex digits of their hash)')
    .option('--json', 'print a JSON array')
    .action((o: { json?: boolean }) => listKeys(o));
  keys
    .command('revoke')
    .description('remove a key (running servers may accept it for up to INGEST_KEY_CACHE_MS more)')
    .argument('<id-or-key>', 'the id shown by keys list (8+ hex digits), or the key itself')
    .action((idOrKey: string) => revokeKey(idOrKey));
}

/** `keys create`: the key goes to stdout alone (scripts capture it), the note about it to stderr. */
async function createKey(o: CreateKeyFlags): Promise<void> {
  await withKeyStore(async (store) => {
    const { key, entry } = await store.create({ districtId: o.district, source: o.source, name: o.name });
    if (o.json) {
      process.stdout.write(
        `${JSON.stringify({ key, id: entry.id, district_id: entry.district_id, source: entry.source, name: entry.name, created_at: entry.created_at })}\n`,
      );
    } else {
      process.stdout.write(`${key}\n`);
      process.stderr.write(
        `created key ${entry.id} for district ${entry.district_id}, source ${entry.source} ("${entry.name}").\n` +
          'The key above is shown only this once; store it now (only its hash is kept).\n',
      );
    }
  });
}

/** `keys list`: one line per key, or a JSON array; never a key's hash. */
async function listKeys(o: { json?: boolean }): Promise<void> {
  await withKeyStore(async (store) => {
    const entries = await store.list();
    if (o.json) {
      process.stdout.write(`${JSON.stringify(entries.map(({ hash: _hash, ...e }) => e))}\n`);
      return;
    }
    if (entries.length === 0) process.stdout.write('no keys\n');
    for (const e of entries)
      process.stdout.write(`${e.id}  ${e.district_id}  ${e.source}  ${e.created_at}  ${e.name}\n`);
  });
}

/** `keys revoke`: exit code 1 when nothing matched, so a mistyped id does not pass for a revocation. */
async function revokeKey(idOrKey: string): Promise<void> {
  await withKeyStore(async (store) => {
    const removed = await store.revoke(idOrKey);
    if (removed.length === 0) {
      process.stderr.write(`no key matches ${idOrKey}\n`);
      process.exitCode = 1;
      return;
    }
    for (const e of removed) process.stdout.write(`revoked ${e.id} (${e.district_id}, ${e.source}, "${e.name}")\n`);
  });
}

/** Runs `fn` with a key store on a fresh Redis connection, closed afterwards even when `fn` fails. */
async function withKeyStore(fn: (store: ApiKeyStore) => Promise<void>): Promise<void> {
  const config = loadIngestConfig();
  const redis = createRedis(config);
  try {
    await fn(new ApiKeyStore(redis, config.REDIS_KEY_PREFIX, 0));
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
