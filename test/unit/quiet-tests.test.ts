import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

// The unit run prints little beyond its summary only if every test file that runs Temporal code
// routes its logs to the held test logger (test/support/logging.ts).
const root = path.resolve(__dirname, '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : full.endsWith('.test.ts') ? [full] : [];
  });
}

describe('unit test files that run workers or activities', () => {
  const sources = [...files(path.join(root, 'unit')), ...files(path.join(root, 'replay'))].map((file) => ({
    file: path.relative(root, file),
    text: readFileSync(file, 'utf8'),
  }));

  it('log through the held test logger', () => {
    const loud = sources
      .filter(({ text }) =>
        /Worker\.(create|runReplayHistor)|TestWorkflowEnvironment\.|new MockActivityEnvironment\(/.test(text),
      )
      .filter(({ text }) => !/installTestLogger\(\)|logger: testLogger|\{ logger \}/.test(text))
      .map(({ file }) => file);
    expect(loud).toEqual([]);
  });
});
