/**
 * A row of `assessment_results` (infra/clickhouse/0300) as tests insert it: district d1, MAP math,
 * no window, error, percentile, projection or grade unless `fields` say otherwise.
 */
export function assessmentRow(person: string, day: string, score: number, fields: Record<string, unknown> = {}) {
  return {
    district_id: 'd1',
    assessment: 'map_growth',
    subject: 'math',
    person_id: person,
    test_date: day,
    score,
    window: '',
    standard_error: null,
    percentile: null,
    projected_growth: null,
    grade: '',
    ...fields,
  };
}
