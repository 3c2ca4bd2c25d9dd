export * from './common';
export * from './native';
export * from './caliper';
export * from './xapi';
export * from './squid';
