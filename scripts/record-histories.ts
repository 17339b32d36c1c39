import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../src/activities';
import { skeletonWorkflow } from '../src/workflows';
import { runSearchAttributes } from '../src/shared/search-attributes';
import { WORKFLOWS_PATH, connectStack, stackActivityDeps, uniqueName } from '../test/support/stack';
import type { Stack } from '../test/support/stack';

/**
 * Re-records the workflow histories the replay suite runs (test/replay/histories). Run it against
 * the local stack after a deliberate workflow change, bump the version in the file name, and keep
 * the older files: they are what running workflows started by older code look like.
 *   npm run stack:up && npm run histories:record
 */
const OUT_DIR = path.resolve(__dirname, '../test/replay/histories');

interface Scenario {
  file: string;
  run(stack: Stack, taskQueue: string): Promise<WorkflowHandle>;
}

const scenarios: Scenario[] = [
  {
    file: 'skeleton.v1.json',
    async run(stack, taskQueue) {
      const tenantId = uniqueName('replay');
      const day = '2026-11-21';
      const handle = await stack.client.workflow.start(skeletonWorkflow, {
        taskQueue,
        workflowId: `daybreak/skeleton/${tenantId}/${day}`,
        args: [{ tenantId, day, events: 100, bulkBytes: 16 * 1024 * 1024 }],
        typedSearchAttributes: runSearchAttributes({
          tenantId,
          day,
          pipelineVersion: 'skeleton',
          runKind: 'primary',
          trigger: 'test',
        }),
      });
      await handle.result();
      return handle;
    },
  },
];

async function main(): Promise<void> {
  const stack = await connectStack();
  const taskQueue = uniqueName('record-histories');
  const worker = await Worker.create({
    connection: stack.connection,
    taskQueue,
    workflowsPath: WORKFLOWS_PATH,
    activities: createActivities(stackActivityDeps(stack, { taskQueue, indexPrefix: 'daybreak-replay' })),
  });
  mkdirSync(OUT_DIR, { recursive: true });
  await worker.runUntil(async () => {
    for (const scenario of scenarios) {
      const handle = await scenario.run(stack, taskQueue);
      const history = await handle.fetchHistory();
      writeFileSync(path.join(OUT_DIR, scenario.file), historyToJSON(history) + '\n');
      console.log(`recorded ${scenario.file} (${history.events?.length ?? 0} events)`);
    }
  });
  await stack.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
