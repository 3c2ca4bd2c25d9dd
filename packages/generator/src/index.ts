export { generateDistrict } from './generate';
export { writeDistrict, type WriteOptions } from './write';
export { DEFAULTS, defaultStartDate, resolveOptions } from './options';
export { ROSTER_HEADERS } from './csv';
export { Rng, rngFor, hash32, mix32, deterministicUuid } from './rng';
export { localToEpochMs, offsetMinutesAt, localDateOf, isoWithOffset, addDays } from './time';
export { ipInCidr, schoolOfIp } from './net';
export * from './types';
