export { runService, type ServiceDefinition, type RunningService } from './run-service';
export { retryWithBackoff, type BackoffOptions } from './backoff';
