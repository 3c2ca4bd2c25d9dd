export { loadConfig, ConfigError } from './load';
export { baseConfigSchema, topicReplication, type BaseConfig, type TopicReplication } from './base';
export { topicNames, type TopicNames } from './topics';
