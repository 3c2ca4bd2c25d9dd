export * from './native-event';
export * from './raw-message';
export * from './enriched-event';
export * from './dead-letter';
export * from './reject';
export * from './adapters';
export * from './meaning';
// Both modules name a `TimeRule`; the package-level name is the meaning table's (the adapters' own stays module-local).
export type { TimeRule } from './meaning';
