import { InvalidArgumentError, Option, type Command } from 'commander';
import { SOURCES, type Source } from '@edusage/contracts';
import { ApiKeyStore, type ApiKeyEntry } from './apikeys';
import { createRedis } from './app';
import { loadIngestConfig } from './config';

interface CreateKeyFlags {
  district: string;
  source: Source;
  name: string;
  eventsPerMinute?: number;
  json?: boolean;
}

/** `keys create`, `keys list`, `keys limit` and `keys revoke`: the per-source API keys, kept hashed in Redis. */
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
    .option(
      '--events-per-minute <n>',
      'most events the key may send a minute over HTTP (0 = no limit; default: INGEST_KEY_EVENTS_PER_MINUTE)',
      eventsPerMinute,
    )
    .option('--json', 'print JSON {key, id, district_id, source, name, created_at[, events_per_minute]}')
    .action((o: CreateKeyFlags) => createKey(o));
  keys
    .command('list')
    .description('list keys (never the keys themselves: id = first 12 hex digits of their hash)')
    .option('--json', 'print a JSON array')
    .action((o: { json?: boolean }) => listKeys(o));
  keys
    .command('limit')
    .description(
      "set a key's events per minute (running servers apply it within INGEST_KEY_CACHE_MS); " +
        '"default" goes back to INGEST_KEY_EVENTS_PER_MINUTE',
    )
    .argument('<id-or-key>', 'the id shown by keys list (8+ hex digits), or the key itself')
    .argument('<events-per-minute>', 'a whole number (0 = no limit), or "default"', limitArgument)
    .action((idOrKey: string, limit: number | null) => limitKey(idOrKey, limit));
  keys
    .command('revoke')
    .description('remove a key (running servers may accept it for up to INGEST_KEY_CACHE_MS more)')
    .argument('<id-or-key>', 'the id shown by keys list (8+ hex digits), or the key itself')
    .action((idOrKey: string) => revokeKey(idOrKey));
}

/** `keys create`: the key goes to stdout alone (scripts capture it), the note about it to stderr. */
async function createKey(o: CreateKeyFlags): Promise<void> {
  await withKeyStore(async (store) => {
    const { key, entry } = await store.create({
      districtId: o.district,
      source: o.source,
      name: o.name,
      ...(o.eventsPerMinute !== undefined ? { eventsPerMinute: o.eventsPerMinute } : {}),
    });
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ key, ...shownFields(entry) })}\n`);
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
      process.stdout.write(`${JSON.stringify(entries.map(shownFields))}\n`);
      return;
    }
    if (entries.length === 0) process.stdout.write('no keys\n');
    for (const e of entries)
      process.stdout.write(
        `${e.id}  ${e.district_id}  ${e.source}  ${e.created_at}  ${limitText(e.events_per_minute)}  ${e.name}\n`,
      );
  });
}

/** `keys limit`: exit code 1 when nothing matched. */
async function limitKey(idOrKey: string, limit: number | null): Promise<void> {
  await withKeyStore(async (store) => {
    const changed = await store.setLimit(idOrKey, limit);
    if (changed.length === 0) {
      process.stderr.write(`no key matches ${idOrKey}\n`);
      process.exitCode = 1;
      return;
    }
    for (const e of changed)
      process.stdout.write(
        `${e.id} (${e.district_id}, ${e.source}, "${e.name}"): ` +
          (e.events_per_minute === undefined ? 'INGEST_KEY_EVENTS_PER_MINUTE' : limitText(e.events_per_minute)) +
          '\n',
      );
  });
}

/** What the key commands print of a key, named field by field: never its hash. */
function shownFields(e: ApiKeyEntry) {
  return {
    id: e.id,
    district_id: e.district_id,
    source: e.source,
    name: e.name,
    created_at: e.created_at,
    ...(e.events_per_minute !== undefined ? { events_per_minute: e.events_per_minute } : {}),
  };
}

/** One word (a column of `keys list`): the key's own limit, or none of its own. */
function limitText(eventsPerMinute: number | undefined): string {
  if (eventsPerMinute === undefined) return 'default';
  return eventsPerMinute === 0 ? 'unlimited' : `${eventsPerMinute}/min`;
}

function eventsPerMinute(text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new InvalidArgumentError('give a whole number of events per minute (0 = no limit)');
  return Number(text);
}

function limitArgument(text: string): number | null {
  return text === 'default' ? null : eventsPerMinute(text);
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
