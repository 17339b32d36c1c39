import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, readConfig } from '../../../src/workers/config';
import { loadTenantsFile } from '../../../src/workers/tenants';

const root = path.resolve(__dirname, '../../..');
const startDir = process.cwd();

describe('configured paths', () => {
  afterEach(() => process.chdir(startDir));

  it('knows the project root from its own location', () => {
    expect(PROJECT_ROOT).toBe(root);
  });

  it('finds the tenants file and the filesystem store from any current directory', async () => {
    process.chdir(mkdtempSync(path.join(tmpdir(), 'daybreak-elsewhere-')));
    const config = readConfig({});
    expect(config.pipeline.tenantsFile).toBe(path.join(root, 'deploy', 'tenants.json'));
    expect(config.store.fsRoot).toBe(path.join(root, '.daybreak', 'store'));
    expect((await loadTenantsFile(config.pipeline.tenantsFile)).tenants[0].id).toBe('acme');
  });

  it('takes relative paths from the project root and absolute ones as given', () => {
    process.chdir(tmpdir());
    const config = readConfig({ DAYBREAK_TENANTS_FILE: 'config/tenants.json', DAYBREAK_FS_ROOT: '/srv/daybreak' });
    expect(config.pipeline.tenantsFile).toBe(path.join(root, 'config', 'tenants.json'));
    expect(config.store.fsRoot).toBe('/srv/daybreak');
  });
});

describe('DAYBREAK_MEMORY_BUDGET_MB', () => {
  it('defaults to a 2-core, 4 GB worker and takes a positive integer of MB', () => {
    expect(readConfig({}).worker.memoryBudgetMb).toBe(3072);
    expect(readConfig({ DAYBREAK_MEMORY_BUDGET_MB: '' }).worker.memoryBudgetMb).toBe(3072);
    expect(readConfig({ DAYBREAK_MEMORY_BUDGET_MB: '24576' }).worker.memoryBudgetMb).toBe(24576);
  });

  it('refuses anything else, naming the variable and the value', () => {
    for (const bad of ['0', '-1', '1.5', '3GB', 'lots']) {
      expect(() => readConfig({ DAYBREAK_MEMORY_BUDGET_MB: bad })).toThrow(
        `DAYBREAK_MEMORY_BUDGET_MB=${JSON.stringify(bad)} must be a positive integer`,
      );
    }
  });
});
