import * as path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH, quietLogger } from '../support/stack';

describe('workflow bundle', () => {
  it('builds for the real workflows', async () => {
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
    expect(code).toContain('tenantDayWorkflow');
  });

  it('fails on a sandbox-unsafe import that only a dependency makes', async () => {
    const sneaky = path.resolve(__dirname, '../fixtures/forbidden-transitive/workflows.ts');
    const errors: string[] = [];
    const logger = {
      ...quietLogger,
      error: (message: string, meta?: unknown) => errors.push(message + JSON.stringify(meta ?? '')),
    };
    await expect(bundleWorkflowCode({ workflowsPath: sneaky, logger })).rejects.toThrow(/Webpack finished with errors/);
    expect(errors.join('\n')).toMatch(/fs/);
  });
});
