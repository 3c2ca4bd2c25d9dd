export * from './result';
export * from './values';
export * from './presets';
export * from './roster-match';
export * from './store';
export * from './import';
export * from './usage';
export * from './bands';
