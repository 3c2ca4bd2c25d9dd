export { runService, type ServiceDefinition, type RunningService, type ServiceContext } from './run-service';
export { startHealthServer, type HealthCheck, type HealthStatus, type HealthServer } from './health';
export { retryWithBackoff, type BackoffOptions } from './backoff';
export { BoundedMap } from './bounded-map';
export { atMostEvery } from './at-most-every';
