import path from 'node:path';
import { Command } from 'commander';
import { baseConfigSchema, loadConfig } from '@edusage/config';
import { createClickHouse } from '@edusage/clickhouse';
import { compactRollups, type MonthCompactionResult } from '@edusage/rollups';
import {
  ASSESSMENT_SPECS,
  generateAssessments,
  generateDistrict,
  writeAssessmentFiles,
  writeDistrict,
} from '@edusage/generator';
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
import { createKafka } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { analyze, formatSummary, importAssessments, loadMatcher, renderAnalysisTable } from '@edusage/outcomes';
import {
  classAppUsage,
  deadLetterSummary,
  districtAppUsage,
  renderUtilizationReport,
  schoolAppUsage,
  unresolvedSummary,
} from '@edusage/reports';
import {
  LocalPipeline,
  SAMPLE_PSEUDONYM_KEY,
  createApiKeys,
  loadDistrictReferenceData,
  sendSampleEvents,
  waitForPipeline,
} from './pipeline';
import { apiBaseUrl, createDemoApiToken, dashboard } from './dashboard';
import { REPO_ROOT, serviceCommand } from './services';
import { assertStackReachable, resetSampleData } from './stack';

const say = (line: string) => process.stdout.write(line + '\n');
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const program = new Command()
    .name('edusage-demo')
    .description('Runs the whole pipeline on a generated sample district and prints its utilization reports')
    .option('--seed <n>', 'generator seed', '42')
    .option('--district <id>', 'district id', 'd1')
    .option('--days <n>', 'days of events', '5')
    .option('--schools <n>', 'schools', '3')
    .option('--out <dir>', 'where the sample files and service logs go', path.join(REPO_ROOT, '.local', 'demo'))
    .option(
      '--serve',
      'keep serving the API and dashboard on the demo data until Ctrl-C (default on a terminal outside CI)',
    )
    .option(
      '--no-serve',
      'print the dashboard address and token, then exit (default in CI and when output is not a terminal)',
    )
    .parse();
  const opts = program.opts<{
    seed: string;
    district: string;
    days: string;
    schools: string;
    out: string;
    serve?: boolean;
  }>();
  // Serving blocks until Ctrl-C: only where someone is watching, never in CI or a test's pipe.
  const serve = opts.serve ?? (process.stdout.isTTY === true && !process.env.CI);

  // The demo keeps to a database, topics and Redis keys of its own, reset at every run, so its
  // figures never mix with real data or with an earlier run.
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    CLICKHOUSE_DATABASE: process.env.DEMO_CLICKHOUSE_DATABASE ?? 'edusage_demo',
    KAFKA_TOPIC_PREFIX: 'demo.',
    REDIS_KEY_PREFIX: 'edusage-demo:',
    PSEUDONYM_KEY: process.env.PSEUDONYM_KEY ?? SAMPLE_PSEUDONYM_KEY,
    DISTRICT_TIMEZONES: process.env.DISTRICT_TIMEZONES ?? `${opts.district}=America/Chicago`,
    INGEST_PORT: process.env.INGEST_PORT ?? '8080',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  };

  const config = loadConfig(baseConfigSchema, env);
  const logger = createLogger('demo', 'warn');
  const kafka = createKafka(config, logger);
  await assertStackReachable(kafka, config);

  await resetSampleData(kafka, config);

  let t = Date.now();
  const district = generateDistrict({
    seed: Number(opts.seed),
    districtId: opts.district,
    days: Number(opts.days),
    schools: Number(opts.schools),
  });
  const dataDir = path.join(opts.out, `seed-${opts.seed}`);
  const files = await writeDistrict(district, dataDir);
  say(`1/5 generated sample district ${district.district.name} (${opts.district}) in ${seconds(t)} → ${dataDir}`);
  for (const [file, lines] of Object.entries(files.counts)) say(`      ${file}: ${lines} lines`);

  t = Date.now();
  // Reference data first: enrich resolves people and apps against what it has loaded when an event arrives.
  const loaded = await loadDistrictReferenceData(env, opts.district, files);
  const keys = await createApiKeys(env, opts.district, ['agent', 'extension', 'caliper']);
  say(`2/5 imported roster and app catalog, created API keys in ${seconds(t)}`);
  for (const line of loaded.roster.trim().split('\n')) say(`      ${line}`);

  t = Date.now();
  const pipeline = new LocalPipeline(env, path.join(opts.out, 'logs'));
  try {
    await pipeline.startAll();
    say(`3/5 started ingest, enrich, aggregate in ${seconds(t)} (logs: ${pipeline.logDir})`);

    t = Date.now();
    let lastPrint = 0;
    const sent = await sendSampleEvents(pipeline, opts.district, files, keys, (what, n) => {
      if (Date.now() - lastPrint > 2000) {
        lastPrint = Date.now();
        say(`      sending… ${what}: ${n}`);
      }
    });
    say(`4/5 sent events through HTTP (native, Caliper) and file import (Squid) in ${seconds(t)}`);
    for (const [what, s] of Object.entries(sent)) {
      const reasons = Object.entries(s.rejectedByCode)
        .map(([code, n]) => `${code} ${n}`)
        .join(', ');
      const skipped: Array<[string, number]> = 'skippedByCode' in s ? Object.entries(s.skippedByCode) : [];
      const skips = skipped.length
        ? `, skipped ${skipped.reduce((a, [, n]) => a + n, 0)} (${skipped.map(([code, n]) => `${code} ${n}`).join(', ')})`
        : '';
      say(`      ${what}: accepted ${s.accepted}, rejected ${s.rejected}${reasons ? ` (${reasons})` : ''}${skips}`);
    }

    t = Date.now();
    await waitForPipeline(kafka, config, (lags) => {
      const pending = Object.values(lags).reduce((a, b) => a + b, 0);
      if (pending > 0 && Date.now() - lastPrint > 2000) {
        lastPrint = Date.now();
        say(`      waiting for the pipeline… ${pending} messages not yet consumed`);
      }
    });
    say(`5/5 every accepted event stored in ClickHouse after ${seconds(t)}`);
  } finally {
    await pipeline.stopAll();
  }

  const period = {
    districtId: opts.district,
    from: district.days[0]!.date,
    to: district.days[district.days.length - 1]!.date,
  };
  const names = new Map<string, string>();
  for (const o of district.roster.orgs) names.set(o.sourcedId, o.name);
  for (const c of district.roster.classes) names.set(c.sourcedId, c.title);
  for (const a of district.apps) names.set(a.app_id, a.name);
  const db = createClickHouse(config);
  let apiToken: string;
  try {
    // What the jobs service's rollup-compaction does every hour; the reports below read through it.
    const compacted = (await compactRollups(db)).filter((m) => m.generation !== null);
    const total = (f: (m: MonthCompactionResult) => number) => compacted.reduce((a, m) => a + f(m), 0);
    say(
      `      rollups compacted: ${compacted.length} month(s), class level ${total((m) => m.contributions.class)} ` +
        `contributions → ${total((m) => m.cells.class)} cells`,
    );
    const [districtRows, schools, classes, unresolved, deadLetters] = await Promise.all([
      districtAppUsage(db, period),
      schoolAppUsage(db, period),
      classAppUsage(db, period),
      unresolvedSummary(db, period),
      deadLetterSummary(db, opts.district),
    ]);
    say('');
    say(renderUtilizationReport({ period, district: districtRows, schools, classes, unresolved, deadLetters, names }));
    // The sample's license inventory and app approvals, then the license table over the same days.
    await importLicenses(db, opts.district, files.licenses);
    await importApprovals(db, opts.district, files.approvals);
    say('');
    say(renderLicenseTable(await buildLicenseReport(db, period), names));
    // The renewal check of the jobs service (same rule and defaults) as run the morning after the sample's last day.
    const today = addDays(period.to, 1);
    const check = await renewalCheck(db, opts.district, today, DEFAULT_RENEWAL_RULE.windowDays, DEFAULT_RENEWAL_RULE);
    say('');
    say(
      renderUpcomingRenewals(
        upcomingRenewals(check.report.licenses, today, DEFAULT_RENEWAL_RULE),
        { today, window: check.window, rule: DEFAULT_RENEWAL_RULE },
        names,
      ),
    );
    say('');
    say(await evidenceTable(db, district, dataDir, { ...config, PSEUDONYM_KEY: env.PSEUDONYM_KEY! }, names));
    say('');
    say(`All tables are in ClickHouse database ${config.CLICKHOUSE_DATABASE} (${config.CLICKHOUSE_URL}), e.g.`);
    say(`  clickhouse-client --database ${config.CLICKHOUSE_DATABASE} --query 'SELECT count() FROM usage_events'`);
    apiToken = await createDemoApiToken(env, opts.district);
    say('');
    say('The same reports over HTTP (services/api): start the API on the demo data with');
    say(
      `  CLICKHOUSE_DATABASE=${config.CLICKHOUSE_DATABASE} REDIS_KEY_PREFIX=${config.REDIS_KEY_PREFIX} KAFKA_TOPIC_PREFIX=${config.KAFKA_TOPIC_PREFIX}${env.API_PORT ? ` API_PORT=${env.API_PORT}` : ''} ${serviceCommand('api')}`,
    );
    say(`and ask it with the admin token of ${opts.district} (docs: ${apiBaseUrl(env)}/docs):`);
    say(
      `  curl -H 'Authorization: Bearer ${apiToken}' '${apiBaseUrl(env)}/v1/usage/district?from=${period.from}&to=${period.to}'`,
    );
  } finally {
    await db.close();
  }
  await dashboard(env, pipeline.logDir, apiToken, period, serve);
}

/**
 * The sample's assessments (pre/post per student, with the generator's documented true effect of ixl on
 * math growth) imported through the MAP Growth preset, and the evidence table of ixl × MAP math growth.
 */
async function evidenceTable(
  db: ReturnType<typeof createClickHouse>,
  district: ReturnType<typeof generateDistrict>,
  dataDir: string,
  keys: Parameters<typeof loadMatcher>[0],
  names: Map<string, string>,
): Promise<string> {
  const truths = generateAssessments(district);
  await writeAssessmentFiles(truths, dataDir);
  const matcher = await loadMatcher(keys, district.district.id);
  const file = path.join(dataDir, 'assessments', 'map_growth.csv');
  const imported = await importAssessments({
    districtId: district.district.id,
    file,
    preset: 'map-growth',
    matcher,
    ch: db,
  });
  const spec = ASSESSMENT_SPECS.find((s) => s.assessment === 'map_growth' && s.subject === 'math')!;
  const t = truths[0]!;
  const a = await analyze(db, {
    districtId: district.district.id,
    app: spec.app,
    assessment: spec.assessment,
    subject: spec.subject,
    from: t.preDate,
    to: t.postDate,
    // The sample's tests are the day before its first and after its last day of use (about a week):
    // closer than the default least pair distance, so the analysis is asked for pairs that far apart.
    minPairDays: Math.round((Date.parse(t.postDate) - Date.parse(t.preDate)) / 86_400_000),
  });
  return [
    `imported assessments: ${formatSummary(imported)}`,
    '',
    renderAnalysisTable(a, names, { dimensions: ['district', 'school'] }),
    '',
    `The sample carries a true effect of ${spec.beta} RIT per engaged minute/week of ${spec.app} on math growth`,
    `(packages/generator README "Assessments"); the interval above should cover it in about 95 % of seeds.`,
  ].join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
