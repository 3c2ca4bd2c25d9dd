#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { Redis } from 'ioredis';
import { baseConfigSchema, loadConfig, ConfigError } from '@edusage/config';
import { createClickHouse, ensureDatabase, runMigrations } from '@edusage/clickhouse';
import { createLogger } from '@edusage/logging';
import { loadEnrichConfig } from './config';
import { parseCatalogJson } from './catalog/catalog';
import { saveDistrictCatalog } from './catalog/store';
import { importRoster } from './roster/import';
import { formatRosterReport, loadRosterDir } from './roster/oneroster';
import { assertSafeDistrictId } from './store/versioned';

/** infra/clickhouse, from dist/cli.js or src/cli.ts. */
const MIGRATIONS_DIR = path.resolve(__dirname, '../../../infra/clickhouse');

function fail(err: unknown): never {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

const program = new Command()
  .name('enrich')
  .description('edusage enrich: roster and app catalog imports (the worker itself is dist/main.js)');

const roster = program.command('roster').description('OneRoster roster of a district');

roster
  .command('import')
  .description('import a OneRoster CSV folder (+ course_apps.csv, networks.json) into Redis and ClickHouse')
  .requiredOption('--district <id>', 'district id, as in events')
  .option('--no-clickhouse', 'do not write the ClickHouse dimension tables')
  .option('--allow-delta', 'import even if the manifest marks files as delta', false)
  .option(
    '--course-apps <file>',
    'course → app map CSV (courseSourcedId,appId); default: course_apps.csv in the folder',
  )
  .option('--networks <file>', 'school → CIDR list JSON; default: networks.json in the folder')
  .option('--max-issues <n>', 'rejected rows/warnings to print', '100')
  .argument(
    '<dir>',
    'folder with orgs.csv, users.csv, classes.csv, courses.csv, enrollments.csv, academicSessions.csv ...',
  )
  .action(
    async (
      dir: string,
      o: {
        district: string;
        clickhouse: boolean;
        allowDelta: boolean;
        maxIssues: string;
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
            await runMigrations(ch, MIGRATIONS_DIR, logger);
          }
          const result = await importRoster({
            dir: path.resolve(dir),
            districtId: o.district,
            redis,
            redisPrefix: config.REDIS_KEY_PREFIX,
            pseudonymKey: config.PSEUDONYM_KEY,
            ...(ch ? { clickhouse: ch } : {}),
            allowDelta: o.allowDelta,
            ...(o.courseApps ? { courseAppsFile: path.resolve(o.courseApps) } : {}),
            ...(o.networks ? { networksFile: path.resolve(o.networks) } : {}),
          });
          console.log(
            `roster of district ${o.district} imported as version ${result.version}` +
              (result.previousVersion ? ` (replaces ${result.previousVersion})` : ''),
          );
          console.log(formatRosterReport(result.report, Number(o.maxIssues)));
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
        fail(err);
      }
    },
  );

roster
  .command('check')
  .description('parse a OneRoster folder and print the report, writing nothing')
  .option('--max-issues <n>', 'rejected rows/warnings to print', '100')
  .argument('<dir>')
  .action(async (dir: string, o: { maxIssues: string }) => {
    try {
      const { report } = await loadRosterDir(path.resolve(dir));
      console.log(formatRosterReport(report, Number(o.maxIssues)));
      if (report.issues.some((i) => i.severity === 'error')) process.exitCode = 2;
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

program.parseAsync(process.argv).catch(fail);
