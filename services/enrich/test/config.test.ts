import { ConfigError } from '@edusage/config';
import { loadEnrichConfig } from '../src/config';

const base = { PSEUDONYM_KEY: 'a-test-key-that-is-long-enough-0123456789' };

test('the retired ENRICH_METRICS_PORT is refused at start, naming its replacement', () => {
  expect(loadEnrichConfig({ ...base, ENRICH_HTTP_PORT: '9181' }).ENRICH_HTTP_PORT).toBe(9181);
  expect(() => loadEnrichConfig({ ...base, ENRICH_METRICS_PORT: '9181' })).toThrow(ConfigError);
  expect(() => loadEnrichConfig({ ...base, ENRICH_METRICS_PORT: '9181' })).toThrow(
    /ENRICH_METRICS_PORT: no longer read: set ENRICH_HTTP_PORT/,
  );
});
