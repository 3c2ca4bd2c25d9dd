import { emptyRoster, type RosterData, type UserRecord } from '@edusage/enrich';

/** A roster student of school sch-1, grade 03 (the import tests' fixture), with any field changed. */
export function student(sourcedId: string, extra: Partial<UserRecord> = {}): UserRecord {
  return {
    sourcedId,
    status: 'active',
    enabled: true,
    role: 'student',
    username: null,
    email: null,
    orgSourcedIds: ['sch-1'],
    grades: ['03'],
    ...extra,
  };
}

/** A roster holding `users` only. */
export function rosterOf(users: UserRecord[]): RosterData {
  const r = emptyRoster();
  for (const u of users) r.users.set(u.sourcedId, u);
  return r;
}
