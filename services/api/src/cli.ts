#!/usr/bin/env node
import { Command, Option } from 'commander';
import { loadConfig } from '@edusage/config';
import { apiConfigSchema } from './config';
import { createRedis } from './app';
import { PLAIN_ID, ROLES, TokenStore, type Role } from './tokens';

/** Runs `fn` with the token store of the configured Redis (REDIS_URL, REDIS_KEY_PREFIX). */
async function withTokens<T>(fn: (tokens: TokenStore) => Promise<T>): Promise<T> {
  const config = loadConfig(apiConfigSchema);
  const redis = createRedis(config);
  try {
    return await fn(new TokenStore(redis, config.REDIS_KEY_PREFIX, 0));
  } finally {
    redis.disconnect();
  }
}

function plain(flag: string, id: string): string {
  if (!PLAIN_ID.test(id)) throw new Error(`${flag}: not a plain id: ${JSON.stringify(id)}`);
  return id;
}

function run(action: () => Promise<void>): Promise<void> {
  return action().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  });
}

const program = new Command().name('edusage-api').description('edusage API: token management');
const tokens = program.command('tokens').description('API tokens (stored hashed in Redis)');

tokens
  .command('create')
  .description('creates a token and prints it once')
  .requiredOption('--district <id>', 'district the token reads')
  .addOption(new Option('--role <role>', 'what it may read').choices([...ROLES]).makeOptionMandatory())
  .option('--school <id>', 'the one school of a school token')
  .requiredOption('--name <name>', 'who or what uses it')
  .action((o: { district: string; role: Role; school?: string; name: string }) =>
    run(async () => {
      if ((o.role === 'school') !== (o.school !== undefined))
        throw new Error('--school is required for --role school and refused for the other roles');
      const { token, entry } = await withTokens((t) =>
        t.create({
          districtId: plain('--district', o.district),
          role: o.role,
          ...(o.school !== undefined ? { schoolId: plain('--school', o.school) } : {}),
          name: o.name,
        }),
      );
      console.log(
        `token ${entry.token_id} (${entry.role}${entry.school_id ? ` of ${entry.school_id}` : ''}, district ${entry.district_id}) created.`,
      );
      console.log('Store it now; it is not shown again:');
      console.log(token);
    }),
  );

tokens
  .command('list')
  .description('lists tokens (ids, never the tokens)')
  .option('--district <id>', 'only this district')
  .action((o: { district?: string }) =>
    run(async () => {
      const list = await withTokens((t) =>
        t.list(o.district === undefined ? undefined : plain('--district', o.district)),
      );
      if (list.length === 0) console.log('no tokens');
      for (const e of list)
        console.log(
          [e.token_id, e.district_id, e.role, e.school_id || '-', e.created_at, JSON.stringify(e.name)].join('\t'),
        );
    }),
  );

tokens
  .command('revoke')
  .description('revokes a token by its id (12 hex digits, as list shows)')
  .argument('<id>', 'token id')
  .action((id: string) =>
    run(async () => {
      const removed = await withTokens((t) => t.revoke(id));
      if (!removed) throw new Error(`no token with id ${JSON.stringify(id)}`);
      console.log(`revoked ${removed.token_id} (${removed.role}, district ${removed.district_id})`);
    }),
  );

void program.parseAsync();
