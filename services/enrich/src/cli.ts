#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { Redis } from 'ioredis';
import { baseConfigSchema, loadConfig, ConfigError, topicNames } from '@edusage/config';
import { createClickHouse, ensureDatabase, runMigrations, SCHEMA_MIGRATIONS_DIR } from '@edusage/clickhouse';
import { createKafka } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { districtToday, loadEnrichConfig, timeZoneFor } from './config';
import { parseCatalogJson } from './catalog/catalog';
import { saveDistrictCatalog } from './catalog/store';
import { importRoster, RosterRefusedError } from './roster/import';
import {
  ROSTER_FORMATS,
  formatRosterReport,
  importBlockers,
  loadRosterDir,
  parseColumnRenames,
  type RosterFormat,
} from './roster/roster-dir';
import { assertSafeDistrictId } from './store/versioned';
import { reresolveDistrict } from './reresolve/reresolve';
import { replacePseudonymKeyRecord } from './enrich/key-fingerprint';
import { addPeopleCommands } from './erase/commands';
import { withCliServices } from './cli-services';

/** infra/clickhouse, from dist/cli.js or src/cli.ts. */

function fail(err: unknown): never {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

/** Options `roster import` and `roster check` share: how to read the folder. */
interface ReadOptions {
  format?: RosterFormat;
  rename: string[];
  acceptWarnings: boolean;
  maxIssues: string;
}

function withReadOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--format <format>', 'roster format (default: detected from the files)').choices([...ROSTER_FORMATS]),
    )
    .option(
      '--rename <file:column=name>',
      'read a column under its standard name, e.g. users.csv:orgs=orgSourcedIds (repeatable)',
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .option('--accept-warnings', 'import despite file-level warnings (file-level errors always refuse)', false)
    .option('--max-issues <n>', 'rejected rows/warnings to print', '100');
}

function readSettings(o: ReadOptions) {
  return {
    ...(o.format ? { format: o.format } : {}),
    renames: parseColumnRenames(o.rename),
  };
}

const program = new Command()
  .name('enrich')
  .description('edusage enrich: roster and app catalog imports (the worker itself is dist/main.js)');

const roster = program.command('roster').description('roster of a district (OneRoster or Microsoft SDS CSV)');

withReadOptions(
  roster
    .command('import')
    .description(
      'import a OneRoster or Microsoft SDS CSV folder (+ course_apps.csv, networks.json) into Redis and ClickHouse',
    ),
)
  .requiredOption('--district <id>', 'district id, as in events')
  .option('--no-clickhouse', 'do not write the ClickHouse dimension tables')
  .option('--allow-delta', 'import even if the manifest marks files as delta', false)
  .option(
    '--course-apps <file>',
    'course → app map CSV (courseSourcedId,appId); default: course_apps.csv in the folder',
  )
  .option('--networks <file>', 'school → CIDR list JSON; default: networks.json in the folder')
  .argument(
    '<dir>',
    'folder with orgs.csv, users.csv, classes.csv, enrollments.csv ... (OneRoster, SDS v2/v2.1) or School.csv, Section.csv ... (SDS v1)',
  )
  .action(
    async (
      dir: string,
      o: ReadOptions & {
        district: string;
        clickhouse: boolean;
        allowDelta: boolean;
        courseApps?: string;
        networks?: string;
      },
    ) => {
      try {
        assertSafeDistrictId(o.district);
        const config = loadEnrichConfig();
        const logger = createLogger('enrich-cli', config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
        const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3 });
        let ch: ReturnType<typeof createClickHouse> | undefined;
        try {
          if (o.clickhouse) {
            await ensureDatabase(config);
            ch = createClickHouse(config);
            await runMigrations(ch, SCHEMA_MIGRATIONS_DIR, logger);
          }
          const result = await importRoster({
            dir: path.resolve(dir),
            districtId: o.district,
            redis,
            redisPrefix: config.REDIS_KEY_PREFIX,
            pseudonymKey: config.PSEUDONYM_KEY,
            ...(ch ? { clickhouse: ch } : {}),
            // The dimensions describe the district's day, the one its events are dated by.
            day: districtToday(config, o.district),
            allowDelta: o.allowDelta,
            ...readSettings(o),
            acceptWarnings: o.acceptWarnings,
            ...(o.courseApps ? { courseAppsFile: path.resolve(o.courseApps) } : {}),
            ...(o.networks ? { networksFile: path.resolve(o.networks) } : {}),
          });
          console.log(
            `roster of district ${o.district} imported as version ${result.version}` +
              (result.previousVersion ? ` (replaces ${result.previousVersion})` : ''),
          );
          console.log(formatRosterReport(result.report, Number(o.maxIssues), o.acceptWarnings));
          console.log(
            `loaded: ${Object.entries(result.counts)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}`,
          );
          if (ch)
            console.log(
              `ClickHouse dimensions written (old versions dropped: ${result.droppedClickHouseVersions.length})`,
            );
        } finally {
          redis.disconnect();
          await ch?.close();
        }
      } catch (err) {
        if (err instanceof RosterRefusedError) {
          console.error(formatRosterReport(err.report, Number(o.maxIssues), o.acceptWarnings));
          console.error(`error: ${err.message}`);
          process.exit(3);
        }
        fail(err);
      }
    },
  );

withReadOptions(
  roster
    .command('check')
    .description(
      'read a roster folder and print the report, writing nothing (exit 2: rejected rows, 3: the import would refuse it)',
    ),
)
  .argument('<dir>')
  .action(async (dir: string, o: ReadOptions) => {
    try {
      const { report } = await loadRosterDir(path.resolve(dir), readSettings(o));
      console.log(formatRosterReport(report, Number(o.maxIssues), o.acceptWarnings));
      if (importBlockers(report, o.acceptWarnings).length > 0) {
        console.log('the import would refuse this roster (see the FILE lines above)');
        process.exitCode = 3;
      } else if (report.issues.some((i) => i.severity === 'error')) process.exitCode = 2;
    } catch (err) {
      fail(err);
    }
  });

roster
  .command('reresolve')
  .description(
    'after a roster import: re-attribute stored events whose person was not in the roster when they arrived, and fold their rollup ranges again',
  )
  .requiredOption('--district <id>', 'district id')
  .action(async (o: { district: string }) => {
    try {
      assertSafeDistrictId(o.district);
      await withCliServices(true, async ({ config, ch, redis, logger }) => {
        const r = await reresolveDistrict({
          ch,
          kafka: createKafka(config, logger),
          redis,
          redisPrefix: config.REDIS_KEY_PREFIX,
          pseudonymKey: config.PSEUDONYM_KEY,
          rawTopic: topicNames(config.KAFKA_TOPIC_PREFIX).raw,
          districtId: o.district,
          timeZone: timeZoneFor(config, o.district),
        });
        console.log(
          `district ${o.district}, roster ${r.rosterVersion}: ${r.revised} of ${r.unresolved} unresolved event(s) re-attributed; ` +
            `${r.refoldedRanges} rollup range(s) folded again` +
            (r.notYetFolded > 0
              ? `; ${r.notYetFolded} revised event(s) not folded by the sink yet: run this again later`
              : ''),
        );
      });
    } catch (err) {
      fail(err);
    }
  });

const catalog = program.command('catalog').description('app catalog');

catalog
  .command('import')
  .description("replace a district's catalog extension (JSON: {apps:[{app_id,name,domains,category}]}) in Redis")
  .requiredOption('--district <id>', 'district id')
  .argument('<file>', 'catalog JSON file')
  .action(async (file: string, o: { district: string }) => {
    try {
      assertSafeDistrictId(o.district);
      const config = loadConfig(baseConfigSchema, process.env);
      const apps = parseCatalogJson(readFileSync(file, 'utf8'), path.basename(file));
      const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3 });
      try {
        const r = await saveDistrictCatalog(redis, config.REDIS_KEY_PREFIX, o.district, apps, {
          source_file: path.basename(file),
        });
        console.log(`catalog extension of district ${o.district}: ${apps.length} app(s), version ${r.version}`);
      } finally {
        redis.disconnect();
      }
    } catch (err) {
      fail(err);
    }
  });

program
  .command('pseudonym-key')
  .description('the PSEUDONYM_KEY fingerprint recorded at first start')
  .command('rekey')
  .description(
    'record the current PSEUDONYM_KEY in place of the one recorded at first start. Every person gets a new ' +
      'person_id: stored events, rollups and roster dimensions keep the old ones (services/enrich/README.md "Pseudonym key")',
  )
  .option('--confirm-split', 'confirm that history under the old key will not join the new person_ids', false)
  .action(async (o: { confirmSplit: boolean }) => {
    try {
      if (!o.confirmSplit) throw new Error('nothing changed: pass --confirm-split to record the new key');
      const config = loadEnrichConfig();
      const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3 });
      try {
        await replacePseudonymKeyRecord({ redis, prefix: config.REDIS_KEY_PREFIX, key: config.PSEUDONYM_KEY });
        console.log('the current PSEUDONYM_KEY is now the recorded one; enrich and the roster commands accept it');
      } finally {
        redis.disconnect();
      }
    } catch (err) {
      fail(err);
    }
  });

addPeopleCommands(program, fail);

program.parseAsync(process.argv).catch(fail);
