import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities';
import { skeletonWorkflow } from '../../src/workflows';
import { skeletonWorkflowId } from '../../src/shared/ids';
import { runSearchAttributes, TenantIdKey, TriggerKey } from '../../src/shared/search-attributes';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, stackActivityDeps, uniqueName } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await connectStack();
});
afterAll(async () => {
  await stack.close();
});

describe('walking skeleton on the real stack', () => {
  it('writes Avro to S3 (conditional create, multipart), reads it back and indexes into Elasticsearch', async () => {
    const taskQueue = uniqueName('skeleton');
    const tenantId = uniqueName('it');
    const day = '2026-11-21';
    const worker = await Worker.create({
      connection: stack.connection,
      taskQueue,
      workflowsPath: WORKFLOWS_PATH,
      activities: createActivities(stackActivityDeps(stack, { taskQueue })),
    });
    const workflowId = skeletonWorkflowId(tenantId, day);
    const result = await worker.runUntil(
      stack.client.workflow.execute(skeletonWorkflow, {
        taskQueue,
        workflowId,
        args: [{ tenantId, day, events: 500, bulkBytes: 16 * 1024 * 1024 }],
        typedSearchAttributes: runSearchAttributes({
          tenantId,
          day,
          pipelineVersion: 'skeleton',
          runKind: 'primary',
          trigger: 'test',
        }),
      }),
    );

    expect(result.eventsWritten).toBe(500);
    expect(result.eventsRead).toBe(500);
    expect(result.overwriteRefused).toBe(true);
    expect(result.bulkBytes).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    expect(result.bulkParts).toBeGreaterThanOrEqual(2);
    expect(await stack.store.exists(result.bulkKey)).toBe(true);

    const doc = await stack.es.get<{ tenantId: string; events: number }>({
      index: result.index,
      id: result.documentId,
    });
    expect(doc._source).toMatchObject({ tenantId, events: 500 });

    const description = await stack.client.workflow.getHandle(workflowId).describe();
    expect(description.typedSearchAttributes.get(TenantIdKey)).toBe(tenantId);
    expect(description.typedSearchAttributes.get(TriggerKey)).toBe('test');

    // Visibility is what the Web UI and `temporal workflow list` query; it catches up shortly after close.
    let listed: string[] = [];
    for (let attempt = 0; attempt < 40 && listed.length === 0; attempt++) {
      listed = [];
      for await (const wf of stack.client.workflow.list({ query: `TenantId = "${tenantId}"` }))
        listed.push(wf.workflowId);
      if (!listed.length) await new Promise((r) => setTimeout(r, 250));
    }
    expect(listed).toEqual([workflowId]);
  });

  it('refuses a second concurrent start of the same tenant-day (the workflow id is the mutex)', async () => {
    const taskQueue = uniqueName('skeleton-mutex');
    const tenantId = uniqueName('it');
    const options = {
      taskQueue,
      workflowId: skeletonWorkflowId(tenantId, '2026-11-20'),
      args: [{ tenantId, day: '2026-11-20', events: 10, bulkBytes: 0 }] as const,
    };
    // No worker polls this queue yet, so the first run stays open while the second start is tried.
    const first = await stack.client.workflow.start(skeletonWorkflow, { ...options, args: [...options.args] });
    await expect(
      stack.client.workflow.start(skeletonWorkflow, { ...options, args: [...options.args] }),
    ).rejects.toThrow(/already started/i);
    await first.terminate('test done');
  });
});
