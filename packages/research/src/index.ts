export * from './suppression';
export * from './weeks';
export * from './weekly-usage';
export * from './license-utilization';
export * from './schema';
export * from './refresh';
