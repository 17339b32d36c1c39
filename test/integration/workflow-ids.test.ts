import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantDayWorkflowId } from '../../src/common/ids';
import { TenantIdKey, TriggerKey, runSearchAttributes } from '../../src/common/search-attributes';
import type { TenantDayInput } from '../../src/workflows/tenant-days/tenant-day-contracts';
import { tenantDayWorkflow } from '../../src/workflows';
import type { Stack } from '../support/stack';
import { connectStack, uniqueName } from '../support/stack';

// What the walking skeleton's test held for its own workflow, now for a tenant-day. No worker polls
// the queue, so the first run stays open while the second start is tried (nothing runs).
let stack: Stack;
const started: WorkflowHandle[] = [];
beforeAll(async () => {
  stack = await connectStack();
});
afterAll(async () => {
  for (const handle of started) await handle.terminate('test done').catch(() => undefined);
  await stack.close();
});

describe('tenant-day workflow ids on the real server', () => {
  it('refuse a second start of an open tenant-day (the id is the mutex), and its tenant finds it in visibility', async () => {
    const tenantId = uniqueName('it');
    const day = '2026-11-20';
    const input: TenantDayInput = {
      tenantId,
      day,
      timeZone: 'Europe/Berlin',
      badDataPolicy: 'quarantine',
      pipelineVersion: 'v1',
      runKind: 'primary',
      trigger: 'test',
    };
    const options = {
      taskQueue: uniqueName('ids-no-worker'),
      workflowId: tenantDayWorkflowId(tenantId, day, 'v1', 'primary'),
      args: [input] as [TenantDayInput],
      typedSearchAttributes: runSearchAttributes({
        tenantId,
        day,
        pipelineVersion: 'v1',
        runKind: 'primary',
        trigger: 'test',
      }),
    };
    started.push(await stack.client.workflow.start(tenantDayWorkflow, options));
    await expect(stack.client.workflow.start(tenantDayWorkflow, options)).rejects.toBeInstanceOf(
      WorkflowExecutionAlreadyStartedError,
    );

    const description = await started[0].describe();
    expect(description.typedSearchAttributes.get(TenantIdKey)).toBe(tenantId);
    expect(description.typedSearchAttributes.get(TriggerKey)).toBe('test');
    // Visibility (what the Web UI and `temporal workflow list` query) catches up shortly after the start.
    const listed: string[] = [];
    for (let attempt = 0; attempt < 40 && listed.length === 0; attempt++) {
      for await (const wf of stack.client.workflow.list({ query: `TenantId = "${tenantId}"` }))
        listed.push(wf.workflowId);
      if (!listed.length) await new Promise((r) => setTimeout(r, 250));
    }
    expect(listed).toEqual([options.workflowId]);
  });
});
