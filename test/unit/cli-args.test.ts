import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args';
import { readConfig } from '../../src/workers/config';

describe('CLI arguments', () => {
  it('reads --name value pairs and bare flags', () => {
    expect([...parseArgs(['--tenant', 'acme', '--dry-run', '--day', '2026-11-21'])]).toEqual([
      ['tenant', 'acme'],
      ['dry-run', 'true'],
      ['day', '2026-11-21'],
    ]);
    expect(() => parseArgs(['acme'])).toThrow(/unexpected argument/);
  });
});

describe('configuration', () => {
  it('defaults to the local stack and follows port overrides', () => {
    const config = readConfig({ DAYBREAK_TEMPORAL_PORT: '17233', DAYBREAK_S3_PORT: '17070' });
    expect(config.temporal.address).toBe('127.0.0.1:17233');
    expect(config.s3.endpoint).toBe('http://127.0.0.1:17070');
    expect(config.elasticsearch.url).toBe('http://127.0.0.1:9200');
  });

  it('refuses a malformed limit by name', () => {
    expect(() => readConfig({ DAYBREAK_MAX_CONCURRENT_ACTIVITIES: 'lots' })).toThrow(
      /DAYBREAK_MAX_CONCURRENT_ACTIVITIES/,
    );
  });
});
