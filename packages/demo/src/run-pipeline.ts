import path from 'node:path';
import type { BaseConfig } from '@edusage/config';
import type { WrittenFiles } from '@edusage/generator';
import type { Kafka } from '@edusage/kafka';
import { say, seconds, throttledSay } from './output';
import { LocalPipeline, sendSampleEvents, waitForPipeline, type SampleSendSummary } from './pipeline';

/** What steps 3–5 need: the demo's environment and stack, the sample's files and its API keys. */
export interface PipelineRun {
  env: Record<string, string>;
  kafka: Kafka;
  /** With the demo's consumer groups, which the drain waits on. */
  config: BaseConfig & { ENRICH_GROUP_ID: string; AGGREGATE_GROUP_ID: string };
  districtId: string;
  /** The demo's --out: the services log to `<out>/logs`. */
  out: string;
  files: WrittenFiles;
  keys: Record<string, string>;
}

/**
 * Steps 3–5: starts ingest, enrich and aggregate, sends the sample's events through them and waits
 * until every accepted event is in ClickHouse. The services are stopped however it ends. Returns
 * the directory of their logs.
 */
export async function runSampleThroughPipeline(run: PipelineRun): Promise<string> {
  const t = Date.now();
  const pipeline = new LocalPipeline(run.env, path.join(run.out, 'logs'));
  try {
    await pipeline.startAll();
    say(`3/5 started ingest, enrich, aggregate in ${seconds(t)} (logs: ${pipeline.logDir})`);
    // One pace for the progress lines of both steps: waiting's first line keeps its distance from sending's last.
    const progress = throttledSay(2000);
    await sendEvents(pipeline, run, progress);
    await waitUntilStored(run, progress);
  } finally {
    await pipeline.stopAll();
  }
  return pipeline.logDir;
}

/** Step 4: sends the sample's events through ingest and prints what each source had accepted and rejected. */
async function sendEvents(pipeline: LocalPipeline, run: PipelineRun, progress: (line: string) => void): Promise<void> {
  const t = Date.now();
  const sent = await sendSampleEvents(pipeline, run.districtId, run.files, run.keys, (what, n) =>
    progress(`      sending… ${what}: ${n}`),
  );
  say(`4/5 sent events through HTTP (native, Caliper) and file import (Squid) in ${seconds(t)}`);
  for (const [what, s] of Object.entries(sent)) say(`      ${what}: ${describeOutcome(s)}`);
}

/** "accepted …, rejected … (code n, …)", and for a source that skips lines (Squid) ", skipped … (…)". */
function describeOutcome(s: SampleSendSummary[keyof SampleSendSummary]): string {
  const reasons = countsByCode(Object.entries(s.rejectedByCode));
  const skipped: Array<[string, number]> = 'skippedByCode' in s ? Object.entries(s.skippedByCode) : [];
  const skips = skipped.length ? `, skipped ${skipped.reduce((a, [, n]) => a + n, 0)} (${countsByCode(skipped)})` : '';
  return `accepted ${s.accepted}, rejected ${s.rejected}${reasons ? ` (${reasons})` : ''}${skips}`;
}

/** "code n, code n" */
function countsByCode(counts: Array<[string, number]>): string {
  return counts.map(([code, n]) => `${code} ${n}`).join(', ');
}

/** Step 5: waits until enrich and aggregate have consumed everything, showing what is still pending. */
async function waitUntilStored(run: PipelineRun, progress: (line: string) => void): Promise<void> {
  const t = Date.now();
  await waitForPipeline(run.kafka, run.config, (lags) => {
    const pending = Object.values(lags).reduce((a, b) => a + b, 0);
    if (pending > 0) progress(`      waiting for the pipeline… ${pending} messages not yet consumed`);
  });
  say(`5/5 every accepted event stored in ClickHouse after ${seconds(t)}`);
}
