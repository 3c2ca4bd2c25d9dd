/**
 * Every Caliper, xAPI and Squid fixture under ../shared/fixtures goes through its adapter. Each file
 * must either yield at least one valid native event or be rejected with a specific reason (never
 * internal_error). The tables below pin the outcome of every file: a change in behaviour turns a test red.
 * Set FIXTURE_TABLE=1 to print the current outcomes in table form.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isIP } from 'node:net';
import {
  adaptCaliper,
  adaptSquidLine,
  adaptSquidLog,
  adaptXapi,
  nativeEventSchema,
  parseSquidLine,
  type AdaptResult,
} from '../src';

const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures');

function walk(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]))
    .sort();
}
const rel = (f: string): string => path.relative(FIXTURES, f);

/** Clock per folder: the fixtures are from 2015–2023 and events older than 5 years are refused. */
function nowFor(file: string): Date {
  if (file.includes('caliper-common-fixtures/v1p0/')) return new Date('2016-01-01T00:00:00Z');
  if (file.includes('caliper-common-fixtures/')) return new Date('2020-01-01T00:00:00Z');
  return new Date('2024-06-01T00:00:00Z');
}
/** Receipt time for statements without timestamp/stored (ADL templates, Moodle expectations). */
const RECEIVED_AT = new Date('2024-05-01T00:00:00Z');

/** Outcome summary: `events=N` plus `skipped=N` and each rejection as `code@field`. */
function summary(r: AdaptResult): string {
  const parts = [`events=${r.events.length}`];
  if (r.skipped.length) parts.push(`skipped=${r.skipped.length}`);
  for (const x of r.rejects) parts.push(`${x.reason.code}@${x.reason.field ?? `line${x.reason.line ?? ''}`}`);
  return parts.join(' ');
}

function runCaliper(file: string): AdaptResult {
  return adaptCaliper(fs.readFileSync(file, 'utf8'), { districtId: 'd1', now: nowFor(file) });
}
function runXapi(file: string): AdaptResult {
  return adaptXapi(fs.readFileSync(file, 'utf8'), { districtId: 'd1', now: nowFor(file), receivedAt: RECEIVED_AT });
}

const caliperFiles = [
  ...walk(path.join(FIXTURES, 'caliper-common-fixtures')),
  ...walk(path.join(FIXTURES, 'openedx-event-routing-backends/caliper-expected')),
].filter((f) => f.endsWith('.json'));
const xapiFiles = [
  ...walk(path.join(FIXTURES, 'adlnet-lrs-conformance-test-suite')),
  // Moodle: the expected xAPI output of each case (statements.json) and the shared fragment
  // common/statement.json; event.json / data.json are Moodle database rows, not xAPI.
  ...walk(path.join(FIXTURES, 'moodle-logstore_xapi')).filter((f) => /^statements?\.json$/.test(path.basename(f))),
  ...walk(path.join(FIXTURES, 'openedx-event-routing-backends/xapi-expected')),
  ...walk(path.join(FIXTURES, '1edtechjapan-da2022')),
].filter((f) => f.endsWith('.json'));

function parseTable(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('//')) continue;
    const sp = t.indexOf(' ');
    m.set(t.slice(0, sp), t.slice(sp + 1).trim());
  }
  return m;
}

// Files not listed here must give events only (≥1 event, no rejection, nothing skipped): `events=1`.
// prettier-ignore
const CALIPER_EXPECTED = parseTable(`
caliper-common-fixtures/v1p0/caliperAssessmentOutcomeEvent.json events=0 skipped=1
caliper-common-fixtures/v1p1/caliperEntityAggregateMeasure.json events=0 unsupported_event@type
caliper-common-fixtures/v1p1/caliperEntityAggregateMeasureCollection.json events=0 unsupported_event@type
caliper-common-fixtures/v1p1/caliperEntityAssessment.json events=0 unsupported_event@type
caliper-common-fixtures/v1p1/caliperEntityAttempt.json events=0 unsupported_event@type
caliper-common-fixtures/v1p1/caliperEntityCourseOffering.json events=0 unsupported_event@type
caliper-common-fixtures/v1p1/caliperEntityCourseSection.json events=0 unsupported_event@type
caliper-common-fixtures/v1p1/caliperEntityDigitalResource.json events=0 unsupported_event@type
caliper-common-fixtures/v1p1/caliperEntityGroup.json events=0 unsupported_event@type
caliper-common-fixtures/v1p1/caliperEntityLtiLink.json events=0 unsupported_event@type
caliper-common-fixtures/v1p1/caliperEntityLtiSession.json events=0 unsupported_event@type
caliper-common-fixtures/v1p1/caliperEntityMembership.json events=0 unsupported_event@type
caliper-common-fixtures/v1p1/caliperEntityOrganization.json events=0 unsupported_event@type
caliper-common-fixtures/v1p1/caliperEntityPerson.json events=0 unsupported_event@type
caliper-common-fixtures/v1p1/caliperEntityResult.json events=0 unsupported_event@type
caliper-common-fixtures/v1p1/caliperEntityScore.json events=0 unsupported_event@type
caliper-common-fixtures/v1p1/caliperEntitySession.json events=0 unsupported_event@type
caliper-common-fixtures/v1p1/caliperEntitySoftwareApplication.json events=0 unsupported_event@type
caliper-common-fixtures/v1p1/caliperEntityWebPage.json events=0 unsupported_event@type
caliper-common-fixtures/v1p1/caliperEnvelopeEntityBatch.json events=0 skipped=3
caliper-common-fixtures/v1p1/caliperEnvelopeEntitySingle.json events=0 skipped=1
caliper-common-fixtures/v1p1/caliperEnvelopeEventBatch.json events=3
caliper-common-fixtures/v1p1/caliperEnvelopeEventContextArray.json events=0 unsupported_event@action
caliper-common-fixtures/v1p1/caliperEnvelopeMixedBatch.json events=2 skipped=5
caliper-common-fixtures/v1p1/caliperEventBasicCreated.json events=0 unsupported_event@action
caliper-common-fixtures/v1p1/caliperEventBasicModifiedExtended.json events=0 unsupported_event@action
caliper-common-fixtures/v1p1/caliperEventGradeGraded.json events=0 skipped=1
caliper-common-fixtures/v1p1/caliperEventGradeGradedItem.json events=0 skipped=1
caliper-common-fixtures/v1p1/caliperEventSubmittedMultiContext.json events=0 unsupported_event@action
// MinutesOnTask from 2019-08-15 to 2019-11-15: a term's report, skipped as aggregate_report.
caliper-common-fixtures/v1p1/caliperEventToolUseUsedWithProgress.json events=0 skipped=1
caliper-common-fixtures/v1p2/caliperEndpointConfigPayload.json events=0 invalid_field@type
caliper-common-fixtures/v1p2/caliperEntityAggregateMeasure.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntityAggregateMeasureCollection.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntityAssessment.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntityAttempt.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntityCourseOffering.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntityCourseOfferingAnonymous.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntityCourseSection.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntityDigitalResource.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntityGroup.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntityLtiLink.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntityLtiSession.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntityMembership.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntityOrganization.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntityPerson.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntityPersonAnonymous.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntityResult.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntityScore.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntitySession.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntitySoftwareApplication.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntitySoftwareApplicationUserAgent.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntitySystemIdentifier.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEntityWebPage.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/caliperEnvelopeEntityBatch.json events=0 skipped=3
caliper-common-fixtures/v1p2/caliperEnvelopeEntitySingle.json events=0 skipped=1
caliper-common-fixtures/v1p2/caliperEnvelopeEventBatch.json events=3
caliper-common-fixtures/v1p2/caliperEnvelopeEventContextArray.json events=0 unsupported_event@action
caliper-common-fixtures/v1p2/caliperEnvelopeMixedBatch.json events=2 skipped=5
caliper-common-fixtures/v1p2/caliperEventGeneralCreated.json events=0 unsupported_event@action
caliper-common-fixtures/v1p2/caliperEventGeneralModifiedExtended.json events=0 unsupported_event@action
caliper-common-fixtures/v1p2/caliperEventGradeGraded.json events=0 skipped=1
caliper-common-fixtures/v1p2/caliperEventGradeGradedItem.json events=0 skipped=1
caliper-common-fixtures/v1p2/caliperEventToolUseUsedWithProgress.json events=0 skipped=1
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEntity-BadJson.json events=0 malformed_json@line1
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEntity-UnknownContext.json events=0 invalid_field@@context
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEntityAggregateMeasure-MalformedMetricUnknownValue.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEntityResponse-MalformedDurationNotADuration.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEntityScore-MalformedScoreGivenNotAString.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEntitySession-MalformedDurationNotValidDuration.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEntitySession-MalformedStartedAtTimeNotADateTime.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEvent-MalformedActorNotAString.json events=0 invalid_field@actor
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEvent-MalformedEdAppWrongEntityType.json events=0 invalid_field@edApp.type
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEvent-MalformedGroupWrongEntityType.json events=0 invalid_field@group.type
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEvent-MalformedMembershipWrongEntityType.json events=0 invalid_field@membership.type
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEvent-MalformedSessionWrongEntityType.json events=0 invalid_field@session.type
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEvent-NoActor.json events=0 missing_identifier@actor
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEvent-NoEventTime.json events=0 invalid_field@eventTime
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEvent-NoType.json events=0 invalid_field@type
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEvent-NullEventTime.json events=0 invalid_field@eventTime
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEvent-UnknownAction.json events=0 unsupported_event@action
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEvent-UnknownEventType.json events=0 unsupported_event@type
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEventSession-WrongAction.json events=0 unsupported_event@action
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEventToolLaunchLaunched-NoFederatedSession.json events=0 invalid_field@federatedSession
caliper-common-fixtures/v1p2/commonErrorFixtures/caliperEventToolUse-WrongAction.json events=0 unsupported_event@action
openedx-event-routing-backends/caliper-expected/edx.course.enrollment.activated.enterprise.json events=0 unsupported_event@action
openedx-event-routing-backends/caliper-expected/edx.course.enrollment.activated.json events=0 unsupported_event@action
openedx-event-routing-backends/caliper-expected/edx.course.enrollment.activated.required.only.data.json events=0 unsupported_event@action
openedx-event-routing-backends/caliper-expected/edx.course.enrollment.deactivated.json events=0 unsupported_event@action
openedx-event-routing-backends/caliper-expected/edx.course.grade.passed.first_time.json events=0 unsupported_event@action
openedx-event-routing-backends/caliper-expected/problem_check(browser).required.only.data.json events=0 missing_identifier@edApp
openedx-event-routing-backends/caliper-expected/problem_check(server).json events=0 skipped=1
`);

// prettier-ignore
const XAPI_EXPECTED = parseTable(`
// progressed on a course (a status the app computes), PT4H35M20S over 2023-01-10 to 2023-02-10.
1edtechjapan-da2022/xapi_statement_20230307.json events=0 skipped=1
adlnet-lrs-conformance-test-suite/v1_0_3/templates/statements/actor.json events=0 missing_identifier@actor
adlnet-lrs-conformance-test-suite/v1_0_3/templates/statements/multiple_actor.json events=0 invalid_field@actor
adlnet-lrs-conformance-test-suite/v1_0_3/templates/statements/no_actor.json events=0 missing_identifier@actor
adlnet-lrs-conformance-test-suite/v1_0_3/templates/statements/no_object.json events=0 invalid_field@object
adlnet-lrs-conformance-test-suite/v1_0_3/templates/statements/no_verb.json events=0 invalid_field@verb
adlnet-lrs-conformance-test-suite/v1_0_3/templates/statements/object_activity.json events=0 missing_identifier@object.id
adlnet-lrs-conformance-test-suite/v1_0_3/templates/statements/object_actor.json events=0 missing_identifier@object
adlnet-lrs-conformance-test-suite/v1_0_3/templates/statements/object_agent_default.json events=0 missing_identifier@object
adlnet-lrs-conformance-test-suite/v1_0_3/templates/statements/object_group_default.json events=0 missing_identifier@object
adlnet-lrs-conformance-test-suite/v1_0_3/templates/statements/object_statementref.json events=0 missing_identifier@object
adlnet-lrs-conformance-test-suite/v1_0_3/templates/statements/object_statementref_no_id.json events=0 invalid_field@object.id
adlnet-lrs-conformance-test-suite/v1_0_3/templates/statements/object_substatement.json events=0 skipped=1
adlnet-lrs-conformance-test-suite/v1_0_3/templates/statements/object_substatement_default.json events=0 skipped=1
adlnet-lrs-conformance-test-suite/v1_0_3/templates/statements/verb.json events=0 invalid_field@verb.id
adlnet-lrs-conformance-test-suite/v1_0_3/templates/statements/voiding.json events=0 skipped=1
adlnet-lrs-conformance-test-suite/v2_0/templates/contexts/all_activities.json events=0 unsupported_event@actor
adlnet-lrs-conformance-test-suite/v2_0/templates/contexts/category.json events=0 unsupported_event@actor
adlnet-lrs-conformance-test-suite/v2_0/templates/contexts/context_agents.json events=0 unsupported_event@actor
adlnet-lrs-conformance-test-suite/v2_0/templates/contexts/context_groups.json events=0 unsupported_event@actor
adlnet-lrs-conformance-test-suite/v2_0/templates/contexts/default.json events=0 unsupported_event@actor
adlnet-lrs-conformance-test-suite/v2_0/templates/contexts/grouping.json events=0 unsupported_event@actor
adlnet-lrs-conformance-test-suite/v2_0/templates/contexts/instructor.json events=0 unsupported_event@actor
adlnet-lrs-conformance-test-suite/v2_0/templates/contexts/invalid_activity.json events=0 unsupported_event@actor
adlnet-lrs-conformance-test-suite/v2_0/templates/contexts/no_extensions.json events=0 unsupported_event@actor
adlnet-lrs-conformance-test-suite/v2_0/templates/contexts/no_platform.json events=0 unsupported_event@actor
adlnet-lrs-conformance-test-suite/v2_0/templates/contexts/no_revision.json events=0 unsupported_event@actor
adlnet-lrs-conformance-test-suite/v2_0/templates/contexts/other.json events=0 unsupported_event@actor
adlnet-lrs-conformance-test-suite/v2_0/templates/contexts/parent.json events=0 unsupported_event@actor
adlnet-lrs-conformance-test-suite/v2_0/templates/contexts/team.json events=0 unsupported_event@actor
adlnet-lrs-conformance-test-suite/v2_0/templates/results/default.json events=0 unsupported_event@actor
adlnet-lrs-conformance-test-suite/v2_0/templates/results/no_extensions.json events=0 unsupported_event@actor
adlnet-lrs-conformance-test-suite/v2_0/templates/statements/actor.json events=0 missing_identifier@actor
adlnet-lrs-conformance-test-suite/v2_0/templates/statements/multiple_actor.json events=0 invalid_field@actor
adlnet-lrs-conformance-test-suite/v2_0/templates/statements/no_actor.json events=0 missing_identifier@actor
adlnet-lrs-conformance-test-suite/v2_0/templates/statements/no_object.json events=0 invalid_field@object
adlnet-lrs-conformance-test-suite/v2_0/templates/statements/no_verb.json events=0 invalid_field@verb
adlnet-lrs-conformance-test-suite/v2_0/templates/statements/object_activity.json events=0 missing_identifier@object.id
adlnet-lrs-conformance-test-suite/v2_0/templates/statements/object_actor.json events=0 missing_identifier@object
adlnet-lrs-conformance-test-suite/v2_0/templates/statements/object_agent_default.json events=0 missing_identifier@object
adlnet-lrs-conformance-test-suite/v2_0/templates/statements/object_group_default.json events=0 missing_identifier@object
adlnet-lrs-conformance-test-suite/v2_0/templates/statements/object_statementref.json events=0 missing_identifier@object
adlnet-lrs-conformance-test-suite/v2_0/templates/statements/object_statementref_no_id.json events=0 invalid_field@object.id
adlnet-lrs-conformance-test-suite/v2_0/templates/statements/object_substatement.json events=0 skipped=1
adlnet-lrs-conformance-test-suite/v2_0/templates/statements/object_substatement_default.json events=0 skipped=1
adlnet-lrs-conformance-test-suite/v2_0/templates/statements/verb.json events=0 invalid_field@verb.id
adlnet-lrs-conformance-test-suite/v2_0/templates/statements/voiding.json events=0 skipped=1
moodle-logstore_xapi/common/statement.json events=0 unsupported_event@actor
moodle-logstore_xapi/core/course_completed/completing_existing_course/statements.json events=0 skipped=1
moodle-logstore_xapi/core/user_enrolment_created/existing_user_enrolled/statements.json events=0 skipped=1
moodle-logstore_xapi/mod_assign/assignment_graded/existing_assignment_graded_comment/statements.json events=0 skipped=1
moodle-logstore_xapi/mod_assign/assignment_graded/existing_assignment_graded_nocomment/statements.json events=0 skipped=1
moodle-logstore_xapi/mod_quiz/attempt_submitted/essay/statements.json events=2
moodle-logstore_xapi/mod_quiz/attempt_submitted/essay_null_response/statements.json events=2
moodle-logstore_xapi/mod_quiz/attempt_submitted/multichoice/statements.json events=2
moodle-logstore_xapi/mod_quiz/attempt_submitted/truefalse/statements.json events=2
openedx-event-routing-backends/xapi-expected/edx.course.enrollment.activated.enterprise.json events=0 skipped=1
openedx-event-routing-backends/xapi-expected/edx.course.enrollment.activated.json events=0 skipped=1
openedx-event-routing-backends/xapi-expected/edx.course.enrollment.activated.required.only.data.json events=0 skipped=1
openedx-event-routing-backends/xapi-expected/edx.course.enrollment.deactivated.json events=0 skipped=1
openedx-event-routing-backends/xapi-expected/edx.course.enrollment.mode_changed.json events=0 skipped=1
openedx-event-routing-backends/xapi-expected/edx.course.grade.now_failed.json events=0 skipped=1
openedx-event-routing-backends/xapi-expected/edx.course.grade.now_passed.json events=0 skipped=1
openedx-event-routing-backends/xapi-expected/edx.course.grade.passed.first_time.json events=0 skipped=1
openedx-event-routing-backends/xapi-expected/edx.grades.course.grade_calculated_letter_grade.json events=0 skipped=1
openedx-event-routing-backends/xapi-expected/edx.grades.subsection.grade_calculated.json events=0 skipped=1
openedx-event-routing-backends/xapi-expected/problem_check(browser).required.only.data.json events=0 skipped=1
openedx-event-routing-backends/xapi-expected/problem_check(server).json events=0 skipped=1
openedx-event-routing-backends/xapi-expected/problem_check(server,multiple_questions,partial_correct).json events=0 skipped=4
`);

function checkFile(file: string, result: AdaptResult, expected: Map<string, string>): void {
  // Never an internal error, and every rejection names a field or a line.
  for (const r of result.rejects) {
    expect(r.reason.code).not.toBe('internal_error');
    expect(r.reason.field ?? r.reason.line).toBeDefined();
  }
  // Every event is a valid native event.
  for (const e of result.events) expect(nativeEventSchema.safeParse(e).success).toBe(true);
  // At least one event, or at least one specific rejection, or (envelopes of entities) documented skips.
  expect(result.events.length + result.rejects.length + result.skipped.length).toBeGreaterThan(0);
  expect(summary(result)).toBe(expected.get(rel(file)) ?? 'events=1');
}

const PRINT = process.env['FIXTURE_TABLE'] === '1';

describe('Caliper fixtures', () => {
  it('finds the Caliper fixture files', () => {
    expect(caliperFiles.length).toBe(17 + 73 + 77 + 23 + 35);
  });
  if (PRINT) {
    it('prints the table', () => {
      const lines = [...caliperFiles, ...xapiFiles].map(
        (f) => `${rel(f)} ${summary(f.includes('caliper') ? runCaliper(f) : runXapi(f))}`,
      );
      fs.writeFileSync('/tmp/fixture-table.txt', lines.join('\n'));
    });
    return;
  }
  it.each(caliperFiles.map((f) => [rel(f), f]))('%s', (_name, file) => {
    checkFile(file, runCaliper(file), CALIPER_EXPECTED);
  });
});

describe('xAPI fixtures', () => {
  it('finds the xAPI fixture files', () => {
    // ADL 22 + 14 + 2 + 22, Moodle 26 statements.json + common/statement.json, Open edX 46, DA2022 1
    expect(xapiFiles.length).toBe(60 + 27 + 46 + 1);
  });
  if (PRINT) return;
  it.each(xapiFiles.map((f) => [rel(f), f]))('%s', (_name, file) => {
    checkFile(file, runXapi(file), XAPI_EXPECTED);
  });
  it('rejects statements without timestamp when no receipt time is given', () => {
    const file = path.join(FIXTURES, 'adlnet-lrs-conformance-test-suite/v1_0_3/templates/statements/default.json');
    const r = adaptXapi(fs.readFileSync(file, 'utf8'), { districtId: 'd1' });
    expect(summary(r)).toBe('events=0 invalid_field@timestamp');
  });
});

describe('Squid fixture (netdata go.d.plugin access.log)', () => {
  const file = path.join(FIXTURES, 'netdata-go.d.plugin/squidlog/access.log');
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '');

  it('parses every well-formed line and refuses the junk lines', () => {
    const parsed = lines.map((l) => parseSquidLine(l));
    expect(lines.length).toBe(500); // 500 lines, the last without a final newline
    expect(parsed.filter((p) => p === null).length).toBe(16); // "Unmatched! The rat the cat ..."
    const first = parsed[1]!;
    expect(first).toMatchObject({
      format: 'squid',
      timeMs: 1576177221686,
      elapsedMs: 3976,
      remoteHost: '203.0.113.1',
      resultCode: 'NONE',
      status: 0,
      bytes: 13564,
      method: 'GET',
      url: 'cache_object://localhost/counters',
      hierarchy: 'HIER_SINGLE_PARENT/203.0.113.200',
      contentType: 'model/plain',
    });
    expect(first.user).toBeUndefined();
    expect(parsed[2]!.remoteHost).toBe('2001:db8:2ce:1');
  });

  it('adapts the whole file: junk rejected by line, cache-manager and no-reply lines skipped', () => {
    const r = adaptSquidLog(text, { districtId: 'd1', now: new Date('2020-01-01T00:00:00Z'), ipAsDevice: true });
    expect(r.events.length).toBe(0); // every URL is Squid's own cache manager (cache_object://localhost/counters)
    expect(r.rejects.length).toBe(16);
    for (const x of r.rejects) {
      expect(x.reason.code).toBe('unparseable_line');
      expect(typeof x.reason.line).toBe('number');
      expect(x.payload).toMatch(/^Unmatched!/);
    }
    expect(r.rejects[0]!.reason.line).toBe(1);
    const byReason: Record<string, number> = {};
    for (const s of r.skipped) byReason[s.reason] = (byReason[s.reason] ?? 0) + 1;
    const noReply = lines.filter((l) => / [A-Z_]+\/000 /.test(l)).length;
    expect(byReason).toEqual({ proxy_no_reply: noReply, proxy_internal: 484 - noReply });
    expect(r.events.length + r.rejects.length + r.skipped.length).toBe(500);
  });

  it('turns the fixture lines into events once the URL is a real site', () => {
    // Same lines with the cache-manager URL replaced: the field mapping of every real line is exercised.
    const real = lines.map((l) =>
      l.replace('cache_object://localhost/counters', 'https://www.khanacademy.org/math?x=1'),
    );
    const ctx = { districtId: 'd1', now: new Date('2020-01-01T00:00:00Z'), ipAsDevice: true };
    // Expected per line, by hand from docs/MEANING.md "Proxy logs" (the fixture is fuzzed: every content type
    // is "<something>/plain", never a page type, so every line that counts is activity).
    const expectedAlone = (l: string): string => {
      const p = parseSquidLine(l);
      if (p === null) return 'unparseable_line';
      if (p.status === 0) return 'proxy_no_reply';
      if (p.resultCode.startsWith('UDP_') || p.method === 'PURGE') return 'proxy_internal';
      if (p.status >= 400) return 'proxy_failed'; // includes the fuzzed 603
      if (isIP(p.remoteHost) === 0) return 'missing_identifier'; // "localhost", the fuzzed "2001:db8:2ce:1"
      return 'heartbeat';
    };
    const tally = (outcomes: string[]) => {
      const out: Record<string, number> = {};
      for (const o of outcomes) out[o] = (out[o] ?? 0) + 1;
      return out;
    };
    const alone = real.map((l, i) => {
      const r = adaptSquidLine(l, i + 1, ctx);
      return r.events[0]?.type ?? r.skipped[0]?.reason ?? r.rejects[0]!.reason.code;
    });
    expect(alone).toEqual(real.map(expectedAlone));
    // Cross-checked with awk over the raw file: 52 lines from 203.0.113.1 (23) and .2 (29) count.
    expect(tally(alone).heartbeat).toBe(52);

    // The whole file: all lines share one timestamp and one host, so each device's activity folds
    // into one heartbeat (its first line); the other 50 are proxy_folded.
    const r = adaptSquidLog(real.join('\n'), ctx);
    expect(r.events.map((e) => [e.type, e.user.device_id])).toEqual([
      ['heartbeat', '203.0.113.1'],
      ['heartbeat', '203.0.113.2'],
    ]);
    const byReason = tally(r.skipped.map((s) => s.reason));
    expect(byReason.proxy_folded).toBe(50);
    for (const e of r.events) {
      expect(nativeEventSchema.safeParse(e).success).toBe(true);
      expect(e.app).toEqual({ domain: 'www.khanacademy.org', url: 'https://www.khanacademy.org/math' });
      expect(e.source).toBe('proxy');
      expect(e.occurred_at).toBe('2019-12-12T19:00:21.686Z');
    }
    const missing = r.rejects.filter((x) => x.reason.code === 'missing_identifier');
    expect(missing.length).toBe(alone.filter((o) => o === 'missing_identifier').length);
    for (const x of missing) {
      expect(x.reason.field).toBe('rfc931');
      expect(x.payload).toMatch(/ (localhost|2001:db8:2ce:\d) /);
    }
  });
});
