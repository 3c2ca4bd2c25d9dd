import { addDays, assertTimeZone, localDateOf, parseDate, weekday } from './time';
import type { GenerateOptions, ResolvedOptions } from './types';
import { DISTRICT_NAMES } from './catalog';
import { hash32 } from './rng';

export const DEFAULTS = {
  districtId: 'd1',
  timezone: 'America/Chicago',
  schools: 3,
  classesPerSchool: 8,
  studentsPerClass: 25,
  classesPerStudent: 4,
  days: 5,
  eventsPerStudentDay: 12,
  malformedRate: 0.01,
  duplicateRate: 0.004,
} as const;

function positiveInt(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`${name} must be an integer from 1 to ${max}, got ${value}`);
  }
  return value;
}

function rate(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > 0.5) throw new Error(`${name} must be in [0, 0.5], got ${value}`);
  return value;
}

/**
 * Default first day: the Monday of the week holding (today − (days + 1)) in the district's zone,
 * so the whole window lies in the past and the output changes only when that date changes.
 */
export function defaultStartDate(timezone: string, days: number, now: Date | string | number = Date.now()): string {
  const nowMs = now instanceof Date ? now.getTime() : typeof now === 'string' ? Date.parse(now) : now;
  if (Number.isNaN(nowMs)) throw new Error(`now is not a date: ${String(now)}`);
  const back = addDays(localDateOf(timezone, nowMs), -(days + 1));
  return addDays(back, -((weekday(back) + 6) % 7));
}

export function resolveOptions(opts: GenerateOptions): ResolvedOptions {
  if (!Number.isInteger(opts.seed)) throw new Error(`seed must be an integer, got ${opts.seed}`);
  const timezone = opts.timezone ?? DEFAULTS.timezone;
  assertTimeZone(timezone);
  const districtId = opts.districtId ?? DEFAULTS.districtId;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(districtId)) {
    throw new Error(`districtId must be 1-64 letters, digits, '.', '_' or '-', got ${districtId}`);
  }
  const days = positiveInt('days', opts.days ?? DEFAULTS.days, 3660);
  const startDate = opts.startDate ?? defaultStartDate(timezone, days, opts.now);
  parseDate(startDate);
  const classesPerStudent = positiveInt('classesPerStudent', opts.classesPerStudent ?? DEFAULTS.classesPerStudent, 6);
  const eventsPerStudentDay = opts.eventsPerStudentDay ?? DEFAULTS.eventsPerStudentDay;
  if (!Number.isFinite(eventsPerStudentDay) || eventsPerStudentDay < 0 || eventsPerStudentDay > 10_000) {
    throw new Error(`eventsPerStudentDay must be in [0, 10000], got ${eventsPerStudentDay}`);
  }
  const nameIndex = hash32(opts.seed, 'district-name') % DISTRICT_NAMES.length;
  return {
    seed: opts.seed,
    districtId,
    districtName: opts.districtName ?? `${DISTRICT_NAMES[nameIndex]} School District`,
    domain: (opts.domain ?? `${districtId.toLowerCase().replace(/[._]/g, '-')}.k12.example.org`).toLowerCase(),
    timezone,
    schools: positiveInt('schools', opts.schools ?? DEFAULTS.schools, 200),
    classesPerSchool: positiveInt('classesPerSchool', opts.classesPerSchool ?? DEFAULTS.classesPerSchool, 2000),
    studentsPerClass: positiveInt('studentsPerClass', opts.studentsPerClass ?? DEFAULTS.studentsPerClass, 1000),
    classesPerStudent,
    days,
    startDate,
    eventsPerStudentDay,
    malformedRate: rate('malformedRate', opts.malformedRate ?? DEFAULTS.malformedRate),
    duplicateRate: rate('duplicateRate', opts.duplicateRate ?? DEFAULTS.duplicateRate),
  };
}
