export { loadConfig, ConfigError } from './load';
export { baseConfigSchema, type BaseConfig } from './base';
export { topicNames, type TopicNames } from './topics';
