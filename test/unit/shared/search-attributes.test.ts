import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_SEARCH_ATTRIBUTE_KEYS, runSearchAttributes } from '../../../src/common/search-attributes';

describe('search attributes', () => {
  it('are the ones the local dev server registers (deploy/local/stack.env)', () => {
    const env = readFileSync(path.resolve(__dirname, '../../../deploy/local/stack.env'), 'utf8');
    const registered = /DAYBREAK_SEARCH_ATTRIBUTES="([^"]+)"/.exec(env)?.[1].split(/\s+/).sort();
    const declared = ALL_SEARCH_ATTRIBUTE_KEYS.map(
      (k) => `${k.name}=${k.type === 'KEYWORD' ? 'Keyword' : k.type}`,
    ).sort();
    expect(registered).toEqual(declared);
  });

  it('carry only the run labels', () => {
    const pairs = runSearchAttributes({
      tenantId: 'acme',
      day: '2026-11-21',
      pipelineVersion: 'v1',
      runKind: 'primary',
      trigger: 'schedule',
    });
    expect(pairs.map((p) => [p.key.name, p.value])).toEqual([
      ['TenantId', 'acme'],
      ['PipelineDay', '2026-11-21'],
      ['PipelineVersion', 'v1'],
      ['RunKind', 'primary'],
      ['Trigger', 'schedule'],
    ]);
  });
});
