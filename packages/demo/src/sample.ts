import path from 'node:path';
import { generateDistrict, writeDistrict, type SampleDistrict, type WrittenFiles } from '@edusage/generator';
import type { Period } from '@edusage/reports';
import type { DemoOptions } from './options';
import { say, seconds } from './output';
import { createApiKeys, loadDistrictReferenceData } from './pipeline';

/** The generated sample district and where its files were written. */
export interface GeneratedSample {
  district: SampleDistrict;
  /** `<out>/seed-<seed>`: the sample's files (and later its assessments). */
  dataDir: string;
  files: WrittenFiles;
}

/** Step 1: generates the sample district the options describe and writes its files. */
export async function generateSample(opts: DemoOptions): Promise<GeneratedSample> {
  const t = Date.now();
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
  return { district, dataDir, files };
}

/**
 * Step 2: imports the sample's roster and app catalog with enrich's tool and creates ingest API keys
 * for the sample's sources; returns the keys by source.
 */
export async function importReferenceData(
  env: Record<string, string>,
  districtId: string,
  files: WrittenFiles,
): Promise<Record<string, string>> {
  const t = Date.now();
  // Reference data first: enrich resolves people and apps against what it has loaded when an event arrives.
  const loaded = await loadDistrictReferenceData(env, districtId, files);
  const keys = await createApiKeys(env, districtId, ['agent', 'extension', 'caliper']);
  say(`2/5 imported roster and app catalog, created API keys in ${seconds(t)}`);
  for (const line of loaded.roster.trim().split('\n')) say(`      ${line}`);
  return keys;
}

/** The sample's days, first to last: the period every report covers. */
export function samplePeriod(district: SampleDistrict, districtId: string): Period {
  return {
    districtId,
    from: district.days[0]!.date,
    to: district.days[district.days.length - 1]!.date,
  };
}
