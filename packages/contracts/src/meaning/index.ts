export * from './types';
export * from './xapi-meaning';
export * from './caliper-meaning';
export * from './render';
