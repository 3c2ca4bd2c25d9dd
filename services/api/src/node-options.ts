/**
 * The Node options the API runs with (docker-compose.yml's NODE_OPTIONS, services/api/README.md, the
 * year benchmark's API child, the demo's SERVICE_NODE_ARGS: infra/test/compose.test.ts keeps them equal). A month of class × app is 45,000 rows: ~6 MB of JSON built from short-lived
 * objects. With V8's default semi-spaces (at most 16 MB on this machine; less under a small heap limit)
 * each such request spent ~30 ms in scavenges; 32 MB semi-spaces cut the time to the response headers
 * by ~25 ms (docs/BENCHMARKS.md). The new space (two semi-spaces) grows to its maximum only under such
 * allocation: 64 MB instead of 32 MB (v8.getHeapSpaceStatistics under a burst of small objects).
 */
export const API_NODE_OPTIONS = '--max-semi-space-size=32';
