import { DefaultLogger, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/run-demo';
import { servedAliasName } from '../../src/workflows/serving/serving-contracts';
import { createS3ObjectStore } from '../../src/workers/clients';
import type { Stack } from '../support/stack';
import { connectStack, uniqueName } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  stack = await connectStack();
});
afterAll(async () => {
  await stack.close();
});

describe('shadow runs, comparison and per-tenant promotion on the real stack', () => {
  it('promotes tenants with expected differences, blocks the zones v2 gets wrong, and rolls back by alias', async () => {
    const store = await createS3ObjectStore({ ...stack.config.s3, bucket: uniqueName('daybreak-rollout') });
    const indexPrefix = uniqueName('daybreak-rollout');
    const lines: string[] = [];
    const result = await runDemo({
      client: stack.client,
      temporalAddress: stack.config.temporal.address,
      store,
      es: stack.es,
      indexPrefix,
      taskQueue: uniqueName('rollout'),
      tenants: 6,
      eventsPerDay: 1500,
      seed: 'rollout-test',
      startDay: '2026-03-12',
      baselineDays: 1,
      shadowDays: 2,
      log: (line) => lines.push(line),
      rolloutId: uniqueName('rollout-test'),
    });
    const stage = Object.fromEntries(result.rollout.tenants.map((t) => [t.tenantId, t.stage]));
    const zone = Object.fromEntries(result.tenants.map((t) => [t.id, t.timeZone]));
    // v2's planted defect (a whole-hour day window) only shows in :30 and :45 zones.
    const blocked = Object.keys(stage).filter((id) => stage[id] === 'shadow');
    expect(blocked.map((id) => zone[id]).sort()).toEqual(['Asia/Kolkata', 'Pacific/Chatham']);
    for (const b of result.blocked) {
      expect(b.csvKey).toMatch(/^reports\/compare-v1-vs-v2\//);
      const csv = (await store.getBytes(b.csvKey!)).toString('utf8');
      expect(csv.split('\r\n')[0]).toBe('tenant,day,account,field,primary_value,shadow_value,delta,rule');
      expect(csv).toMatch(/eventsTotal/);
    }
    // Promotion without evidence was refused, and said why.
    expect(lines.join('\n')).toMatch(/promote refused: tenant \S+ has 0 of 2 consecutive clean days/);
    // The promoted tenants' aliases serve v2 documents; the rolled-back one serves v1 again.
    expect(result.rolledBack).toBeDefined();
    expect(stage[result.rolledBack!]).toBe('rolled-back');
    for (const [tenantId, s] of Object.entries(stage)) {
      if (s !== 'promoted' && s !== 'rolled-back' && s !== 'shadow') continue;
      const hits = await stack.es.search<{ pipelineVersion: string; tenantId: string }>({
        index: servedAliasName(indexPrefix, tenantId),
        size: 5,
      });
      const versions = new Set(hits.hits.hits.map((h) => h._source!.pipelineVersion));
      expect([...versions]).toEqual([s === 'promoted' ? 'v2' : 'v1']);
      expect(hits.hits.hits.every((h) => h._source!.tenantId === tenantId)).toBe(true);
    }
    // The history is the audit trail, and the state keeps who did what and why.
    expect(result.rollout.audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['eligible', 'auto-promote', 'rollback']),
    );
  });
});
