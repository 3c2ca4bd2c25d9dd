import { APP_PROFILES, type AppProfile, type SchoolBand } from './catalog';
import { addDays } from './time';
import type { ApprovalRow, LicenseRow, ResolvedOptions } from './types';

interface LicenseInput {
  opts: ResolvedOptions;
  districtOrg: string;
  schools: { index: number; sourcedId: string; band: SchoolBand }[];
  /** Students per school, by school index − 1. */
  studentsPerSchool: number[];
  term: { startDate: string; endDate: string };
}

const profile = (id: string): AppProfile => APP_PROFILES.find((p) => p.app_id === id)!;

/**
 * The district's license inventory, shaped so that every case of a license report occurs (see the
 * README): per-seat, flat and per-student costs, unlimited seats, school-scoped licenses, a grade band,
 * a license expired before the events but still used (kahoot), one never used (nearpod), and apps used
 * with no license at all (docs, classroom, canva, …).
 */
export function buildLicenses(input: LicenseInput): { licenses: LicenseRow[]; approvals: ApprovalRow[] } {
  const { opts, districtOrg, schools, studentsPerSchool, term } = input;
  const syEnd = term.endDate;
  const studentsAt = (p: AppProfile) =>
    schools.filter((s) => p.schools(s.index, s.band)).reduce((n, s) => n + studentsPerSchool[s.index - 1]!, 0);
  const allStudents = studentsPerSchool.reduce((a, b) => a + b, 0);
  const base = (appId: string): Omit<LicenseRow, 'seatsPurchased' | 'contractCost' | 'costBasis'> => ({
    licenseId: `lic-${appId}`,
    appId,
    vendor: profile(appId).vendor,
    orgSourcedId: districtOrg,
    currency: 'USD',
    contractStartDate: term.startDate,
    contractEndDate: syEnd,
    renewalDate: syEnd,
    audience: 'students',
    grades: '',
    notes: '',
  });
  const seats = (p: AppProfile, eligible: number) => Math.max(10, Math.ceil(eligible * p.license!.seatsPerStudent));

  const licenses: LicenseRow[] = [];
  const ixl = profile('ixl');
  licenses.push({
    ...base('ixl'),
    seatsPurchased: seats(ixl, studentsAt(ixl)),
    contractCost: ixl.license!.pricePerSeat,
    costBasis: 'per_seat',
  });
  const quizlet = profile('quizlet');
  const quizletSeats = seats(quizlet, studentsAt(quizlet));
  licenses.push({
    ...base('quizlet'),
    seatsPurchased: quizletSeats,
    contractCost: quizletSeats * quizlet.license!.pricePerSeat,
    costBasis: 'flat',
    grades: '06-12',
    renewalDate: addDays(opts.startDate, 45),
    notes: 'middle and high schools only',
  });
  licenses.push({
    ...base('newsela'),
    seatsPurchased: 'unlimited',
    contractCost: profile('newsela').license!.pricePerSeat,
    costBasis: 'per_student',
    renewalDate: addDays(opts.startDate, 120),
  });
  const typing = profile('typing-club');
  for (const s of schools.filter((s) => typing.schools(s.index, s.band))) {
    licenses.push({
      ...base('typing-club'),
      licenseId: `lic-typing-club-${s.sourcedId}`,
      orgSourcedId: s.sourcedId,
      seatsPurchased: Math.ceil(studentsPerSchool[s.index - 1]! * typing.license!.seatsPerStudent),
      contractCost: typing.license!.pricePerSeat,
      costBasis: 'per_seat',
    });
  }
  licenses.push({
    ...base('brainpop'),
    seatsPurchased: allStudents,
    contractCost: allStudents * profile('brainpop').license!.pricePerSeat,
    costBasis: 'flat',
    audience: 'all',
    // Decided on before the term ends: within the 90-day alert threshold of a short sample, and barely used.
    renewalDate: addDays(opts.startDate, 75),
    notes: 'renewal decision due before the term ends',
  });
  licenses.push({
    ...base('nearpod'),
    seatsPurchased: allStudents,
    contractCost: allStudents * profile('nearpod').license!.pricePerSeat,
    costBasis: 'flat',
  });
  // Expired the day before the first day of events: every kahoot use in the sample is after its end.
  const kahootEnd = addDays(opts.startDate, -1);
  licenses.push({
    ...base('kahoot'),
    seatsPurchased: 60,
    contractCost: 2,
    costBasis: 'per_seat',
    audience: 'all',
    contractEndDate: kahootEnd,
    renewalDate: kahootEnd,
    notes: 'not renewed',
  });

  return { licenses, approvals: buildApprovals(opts, term) };
}

/**
 * The apps' review statuses: approved with a DPA in force, one whose DPA expired before the events
 * (ixl), one without an end date, one pending and one denied (canva, used anyway).
 */
function buildApprovals(opts: ResolvedOptions, term: LicenseInput['term']): ApprovalRow[] {
  const syEnd = term.endDate;
  const signed = term.startDate;
  const validTo = addDays(syEnd, 365);
  return [
    { appId: 'google-docs', status: 'approved', dpaSignedOn: signed, dpaExpiresOn: validTo, note: '' },
    { appId: 'google-classroom', status: 'approved', dpaSignedOn: signed, dpaExpiresOn: validTo, note: '' },
    {
      appId: 'ixl',
      status: 'approved',
      dpaSignedOn: addDays(signed, -730),
      dpaExpiresOn: addDays(opts.startDate, -30),
      note: 'DPA renewal requested',
    },
    { appId: 'quizlet', status: 'approved', dpaSignedOn: signed, dpaExpiresOn: validTo, note: '' },
    { appId: 'newsela', status: 'approved', dpaSignedOn: signed, dpaExpiresOn: validTo, note: '' },
    { appId: 'typing-club', status: 'approved', dpaSignedOn: signed, dpaExpiresOn: '', note: 'DPA without end date' },
    { appId: 'brainpop', status: 'approved', dpaSignedOn: signed, dpaExpiresOn: validTo, note: '' },
    { appId: 'nearpod', status: 'approved', dpaSignedOn: signed, dpaExpiresOn: validTo, note: '' },
    { appId: 'kahoot', status: 'pending', dpaSignedOn: '', dpaExpiresOn: '', note: 'vendor reviewing our DPA' },
    { appId: 'canva', status: 'denied', dpaSignedOn: '', dpaExpiresOn: '', note: 'collects student photos' },
  ];
}
