import path from 'node:path';
import type { ClickHouseClient } from '@edusage/clickhouse';
import { ASSESSMENT_SPECS, generateAssessments, writeAssessmentFiles, type SampleDistrict } from '@edusage/generator';
import { analyze, formatSummary, importAssessments, loadMatcher, renderAnalysisTable } from '@edusage/outcomes';

/**
 * The sample's assessments (pre/post per student, with the generator's documented true effect of ixl on
 * math growth) imported through the MAP Growth preset, and the evidence table of ixl × MAP math growth.
 */
export async function evidenceTable(
  db: ClickHouseClient,
  district: SampleDistrict,
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
