export * from './native-event';
export * from './raw-message';
export * from './enriched-event';
export * from './dead-letter';
export * from './reject';
export * from './adapters';
export * from './meaning';
export * from './stage';
