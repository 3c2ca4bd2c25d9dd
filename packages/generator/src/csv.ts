import { stringify } from 'csv-stringify/sync';

/** Exact OneRoster 1.1 CSV headers (column order as in the 1.1 CSV binding). */
export const ROSTER_HEADERS = {
  manifest: ['propertyName', 'value'],
  orgs: ['sourcedId', 'status', 'dateLastModified', 'name', 'type', 'identifier', 'parentSourcedId'],
  academicSessions: ['sourcedId', 'status', 'dateLastModified', 'title', 'type', 'startDate', 'endDate',
    'parentSourcedId', 'schoolYear'],
  courses: ['sourcedId', 'status', 'dateLastModified', 'schoolYearSourcedId', 'title', 'courseCode', 'grades',
    'orgSourcedId', 'subjects', 'subjectCodes'],
  classes: ['sourcedId', 'status', 'dateLastModified', 'title', 'grades', 'courseSourcedId', 'classCode',
    'classType', 'location', 'schoolSourcedId', 'termSourcedIds', 'subjects', 'subjectCodes', 'periods'],
  users: ['sourcedId', 'status', 'dateLastModified', 'enabledUser', 'orgSourcedIds', 'role', 'username', 'userIds',
    'givenName', 'familyName', 'middleName', 'identifier', 'email', 'sms', 'phone', 'agentSourcedIds', 'grades',
    'password'],
  enrollments: ['sourcedId', 'status', 'dateLastModified', 'classSourcedId', 'schoolSourcedId', 'userSourcedId',
    'role', 'primary', 'beginDate', 'endDate'],
  demographics: ['sourcedId', 'status', 'dateLastModified', 'birthDate', 'sex', 'americanIndianOrAlaskaNative',
    'asian', 'blackOrAfricanAmerican', 'nativeHawaiianOrOtherPacificIslander', 'white',
    'demographicRaceTwoOrMoreRaces', 'hispanicOrLatinoEthnicity', 'countryOfBirthCode', 'stateOfBirthAbbreviation',
    'cityOfBirth', 'publicSchoolResidenceStatus'],
} as const;

export const COURSE_APPS_HEADER = ['courseSourcedId', 'appId'] as const;
export const LICENSES_HEADER = ['appId', 'orgSourcedId', 'seatsPurchased', 'contractCost', 'currency',
  'contractStartDate', 'renewalDate'] as const;

/** CSV text with a header row; columns fixed by `columns`, '\n' line ends, quoting only where needed. */
export function toCsv(columns: readonly string[], rows: ReadonlyArray<object>): string {
  return stringify(rows as Array<Record<string, unknown>>, { header: true, columns: columns.map((c) => ({ key: c })) });
}
