// What other packages reuse from the demo: the local pipeline (services as child processes) and the
// sample district's set-up. The benchmark (@edusage/bench) runs on these.
export {
  LocalPipeline,
  SAMPLE_PSEUDONYM_KEY,
  serviceOf,
  type ProcessName,
  type ReplicatedService,
  SERVICE_NAMES,
  createApiKeys,
  loadDistrictReferenceData,
} from './pipeline';
export { REPO_ROOT, WORKER_MALLOC_ENV, WORKER_NODE_ARGS, envAssignments, type ServiceName } from './services';
export { assertStackReachable, resetSampleData } from './stack';
