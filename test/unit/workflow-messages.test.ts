import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const WORKFLOWS = path.resolve(__dirname, '../../src/workflows');
const files = (readdirSync(WORKFLOWS, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.split(path.sep).join('/'))
  .sort();
/** A messages module: the workflow's signals, queries and updates with their validators, and nothing else. */
const isMessagesModule = (file: string) => /(^|[-/])messages\.ts$/.test(file) || file.endsWith('rollout-signals.ts');
const DEFINES = /\bdefine(Signal|Query|Update)\s*[<(]/;

describe('workflow messages', () => {
  it('are defined only in messages modules, so no workflow imports another workflow for them', () => {
    const defining = files.filter((f) => DEFINES.test(readFileSync(path.join(WORKFLOWS, f), 'utf8')));
    expect(defining.length).toBeGreaterThan(0);
    expect(defining.filter((f) => !isMessagesModule(f))).toEqual([]);
  });

  // Running workflows, recorded histories, clients and the CLI address messages by these names.
  it('keep the names running workflows and clients use', async () => {
    const names: string[] = [];
    for (const file of files.filter(isMessagesModule)) {
      const exported = (await import(path.join(WORKFLOWS, file))) as Record<string, unknown>;
      for (const value of Object.values(exported)) {
        const definition = value as { type?: unknown; name?: unknown };
        if (typeof value === 'object' && value && typeof definition.type === 'string')
          names.push(`${definition.type} ${String(definition.name)}`);
      }
    }
    expect(names.sort()).toEqual([
      'query backfillProgress',
      'query checksState',
      'query laneState',
      'query rolloutState',
      'signal dayVerdict',
      'signal dependencyWait',
      'signal inputsWait',
      'signal primaryFinished',
      'signal resumeBackfill',
      'signal runFinished',
      'signal setPipelineVersions',
      'signal skipBackfillDay',
      'update end',
      'update finish',
      'update promote',
      'update releaseChecks',
      'update requestRun',
      'update resume',
      'update rollback',
    ]);
  });
});
