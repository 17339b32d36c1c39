import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { workflowBundleOf } from '../../../src/workers/compose';
import { PROJECT_ROOT, readConfig } from '../../../src/workers/config';

describe('DAYBREAK_WORKFLOW_BUNDLE: a workflow bundle built ahead', () => {
  it('is unset by default: the worker bundles at start', () => {
    expect(readConfig({}).worker.workflowBundle).toBeUndefined();
  });

  it('is taken from the project root when relative, as the build script writes it', () => {
    expect(readConfig({ DAYBREAK_WORKFLOW_BUNDLE: 'dist/workflow-bundle.js' }).worker.workflowBundle).toBe(
      path.join(PROJECT_ROOT, 'dist', 'workflow-bundle.js'),
    );
  });

  it('is loaded by its path instead of bundling', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'daybreak-bundle-')), 'workflow-bundle.js');
    writeFileSync(file, '// a bundle');
    const config = readConfig({ DAYBREAK_WORKFLOW_BUNDLE: file });
    expect(await workflowBundleOf(config)).toEqual({ codePath: file });
  });

  it('fails at start, naming the variable, the file and how to build it, when the file is missing', async () => {
    const file = path.join(tmpdir(), 'daybreak-no-such-dir', 'workflow-bundle.js');
    const config = readConfig({ DAYBREAK_WORKFLOW_BUNDLE: file });
    await expect(workflowBundleOf(config)).rejects.toThrow(
      `DAYBREAK_WORKFLOW_BUNDLE=${file}: no such file; build it with \`npm run build:workflows\``,
    );
  });
});
