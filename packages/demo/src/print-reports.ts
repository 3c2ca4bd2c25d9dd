import type { BaseConfig } from '@edusage/config';
import { createClickHouse, type ClickHouseClient } from '@edusage/clickhouse';
import {
  addDays,
  buildLicenseReport,
  DEFAULT_RENEWAL_RULE,
  importApprovals,
  importLicenses,
  renderLicenseTable,
  renderUpcomingRenewals,
  renewalCheck,
  upcomingRenewals,
} from '@edusage/licenses';
import {
  classAppUsage,
  deadLetterSummary,
  districtAppUsage,
  renderUtilizationReport,
  schoolAppUsage,
  unresolvedSummary,
  type Period,
} from '@edusage/reports';
import { compactRollups, type MonthCompactionResult } from '@edusage/rollups';
import { flatNames, readDistrictNamesOnce } from '@edusage/enrich';
import { apiBaseUrl, createDemoApiToken } from './dashboard';
import { evidenceTable } from './evidence';
import { say } from './output';
import type { GeneratedSample } from './sample';
import { serviceCommand } from './services';

/** What the reports need: the demo's environment, the sample and the period to report on. */
export interface ReportRun {
  env: Record<string, string>;
  config: BaseConfig;
  sample: GeneratedSample;
  period: Period;
}

/**
 * Prints the sample's reports from ClickHouse (utilization, licenses, upcoming renewals, evidence),
 * then where to find them in ClickHouse and over HTTP. Returns the admin API token it created for that.
 */
export async function printReports(run: ReportRun): Promise<string> {
  const { env, config, sample, period } = run;
  const db = createClickHouse(config);
  try {
    await compactRollupsAsTheJobsDo(db);
    const names = await productNames(db, config, period.districtId);
    await printUtilization(db, period, names);
    await printLicenses(db, period, sample, names);
    await printUpcomingRenewals(db, period, names);
    say('');
    say(
      await evidenceTable(db, sample.district, sample.dataDir, { ...config, PSEUDONYM_KEY: env.PSEUDONYM_KEY! }, names),
    );
    printWhereTheTablesAre(config);
    const apiToken = await createDemoApiToken(env, period.districtId);
    printHowToAskTheApi(env, config, period, apiToken);
    return apiToken;
  } finally {
    await db.close();
  }
}

/**
 * The names the product has for the district's ids (the imported roster's schools and classes, the app
 * catalogs), as the dashboard and `licenses report` show them: not the generator's own.
 */
async function productNames(
  db: ClickHouseClient,
  config: BaseConfig,
  districtId: string,
): Promise<Map<string, string>> {
  return flatNames(await readDistrictNamesOnce(db, districtId, config));
}

/** What the jobs service's rollup-compaction does every hour; the reports below read through it. */
async function compactRollupsAsTheJobsDo(db: ClickHouseClient): Promise<void> {
  const compacted = (await compactRollups(db)).filter((m) => m.generation !== null);
  const total = (f: (m: MonthCompactionResult) => number) => compacted.reduce((a, m) => a + f(m), 0);
  say(
    `      rollups compacted: ${compacted.length} month(s), class level ${total((m) => m.contributions.class)} ` +
      `contributions → ${total((m) => m.cells.class)} cells`,
  );
}

/** The utilization report: per app for the district, top apps per school and class, what stayed unresolved or dead-lettered. */
async function printUtilization(db: ClickHouseClient, period: Period, names: Map<string, string>): Promise<void> {
  const [districtRows, schools, classes, unresolved, deadLetters] = await Promise.all([
    districtAppUsage(db, period),
    schoolAppUsage(db, period),
    classAppUsage(db, period),
    unresolvedSummary(db, period),
    deadLetterSummary(db, period.districtId),
  ]);
  say('');
  say(renderUtilizationReport({ period, district: districtRows, schools, classes, unresolved, deadLetters, names }));
}

/** The sample's license inventory and app approvals, then the license table over the same days. */
async function printLicenses(
  db: ClickHouseClient,
  period: Period,
  sample: GeneratedSample,
  names: Map<string, string>,
): Promise<void> {
  await importLicenses(db, period.districtId, sample.files.licenses);
  await importApprovals(db, period.districtId, sample.files.approvals);
  say('');
  say(renderLicenseTable(await buildLicenseReport(db, period), names));
}

/** The renewal check of the jobs service (same rule and defaults) as run the morning after the sample's last day. */
async function printUpcomingRenewals(db: ClickHouseClient, period: Period, names: Map<string, string>): Promise<void> {
  const today = addDays(period.to, 1);
  const check = await renewalCheck(db, period.districtId, today, DEFAULT_RENEWAL_RULE.windowDays, DEFAULT_RENEWAL_RULE);
  say('');
  say(
    renderUpcomingRenewals(
      upcomingRenewals(check.report.licenses, today, DEFAULT_RENEWAL_RULE),
      { today, window: check.window, rule: DEFAULT_RENEWAL_RULE },
      names,
    ),
  );
}

/** The demo's ClickHouse database, with a query to start from. */
function printWhereTheTablesAre(config: BaseConfig): void {
  say('');
  say(`All tables are in ClickHouse database ${config.CLICKHOUSE_DATABASE} (${config.CLICKHOUSE_URL}), e.g.`);
  say(`  clickhouse-client --database ${config.CLICKHOUSE_DATABASE} --query 'SELECT count() FROM usage_events'`);
}

/** The command that starts the API on the demo data, and a request for the district report with the token. */
function printHowToAskTheApi(env: Record<string, string>, config: BaseConfig, period: Period, apiToken: string): void {
  say('');
  say('The same reports over HTTP (services/api): start the API on the demo data with');
  say(
    `  CLICKHOUSE_DATABASE=${config.CLICKHOUSE_DATABASE} REDIS_KEY_PREFIX=${config.REDIS_KEY_PREFIX} KAFKA_TOPIC_PREFIX=${config.KAFKA_TOPIC_PREFIX}${env.API_PORT ? ` API_PORT=${env.API_PORT}` : ''} ${serviceCommand('api')}`,
  );
  say(`and ask it with the admin token of ${period.districtId} (docs: ${apiBaseUrl(env)}/docs):`);
  say(
    `  curl -H 'Authorization: Bearer ${apiToken}' '${apiBaseUrl(env)}/v1/usage/district?from=${period.from}&to=${period.to}'`,
  );
}
