// The demo, the README's main job: runs the pipeline on a generated sample district and prints its
// reports. Each numbered step lives in its own module; this file only puts them in order.
import { baseConfigSchema, loadConfig } from '@edusage/config';
import { createKafka } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { dashboard } from './dashboard';
import { DEMO_GROUP_IDS, demoEnvironment } from './environment';
import { parseDemoOptions, shouldServe } from './options';
import { printReports } from './print-reports';
import { runSampleThroughPipeline } from './run-pipeline';
import { generateSample, importReferenceData, samplePeriod } from './sample';
import { assertStackReachable, resetSampleData } from './stack';

async function main(): Promise<void> {
  const opts = parseDemoOptions();
  const serve = shouldServe(opts);
  const env = demoEnvironment(opts.district);

  const config = { ...loadConfig(baseConfigSchema, env), ...DEMO_GROUP_IDS };
  const logger = createLogger('demo', 'warn');
  const kafka = createKafka(config, logger);
  await assertStackReachable(kafka, config);

  await resetSampleData(kafka, config, { groupIds: Object.values(DEMO_GROUP_IDS) });

  const sample = await generateSample(opts);
  const keys = await importReferenceData(env, opts.district, sample.files);
  const logDir = await runSampleThroughPipeline({
    env,
    kafka,
    config,
    districtId: opts.district,
    out: opts.out,
    files: sample.files,
    keys,
  });

  const period = samplePeriod(sample.district, opts.district);
  const apiToken = await printReports({ env, config, sample, period });
  await dashboard(env, logDir, apiToken, period, serve);
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
