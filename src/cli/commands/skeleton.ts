import { WorkflowIdReusePolicy } from '@temporalio/client';
import { skeletonWorkflow } from '../../workflows';
import { addDays } from '../../shared/days';
import { skeletonWorkflowId } from '../../shared/ids';
import { runSearchAttributes } from '../../shared/search-attributes';
import { assertTenantId } from '../../shared/tenant-id';
import { createTemporalClient } from '../../workers/clients';
import { readConfig } from '../../workers/config';
import type { Command } from '../command';
import { numberOption } from '../command';

export const skeletonCommand: Command = {
  name: 'skeleton',
  usage: `skeleton [--tenant T] [--day YYYY-MM-DD] [--events N] [--bulk-mb M]
      Runs the walking-skeleton workflow (S3 + Avro + Elasticsearch) and waits for its result.`,
  async run(args) {
    const config = readConfig();
    const tenantId = assertTenantId(args.get('tenant') ?? 'acme', '--tenant');
    // The CLI is not workflow code: yesterday (UTC) is a fine default for a manual run.
    const day = args.get('day') ?? addDays(new Date().toISOString().slice(0, 10), -1);
    const client = await createTemporalClient(config.temporal);
    const workflowId = skeletonWorkflowId(tenantId, day);
    const handle = await client.workflow.start(skeletonWorkflow, {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      args: [
        {
          tenantId,
          day,
          events: numberOption(args, 'events', 1000),
          bulkBytes: numberOption(args, 'bulk-mb', 17) * 1024 * 1024,
        },
      ],
      typedSearchAttributes: runSearchAttributes({
        tenantId,
        day,
        pipelineVersion: 'skeleton',
        runKind: 'primary',
        trigger: 'cli',
      }),
      staticSummary: `Walking skeleton for ${tenantId} ${day}`,
    });
    console.log(`started ${workflowId} (run ${handle.firstExecutionRunId})`);
    console.log(
      `Web UI: ${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows/${encodeURIComponent(workflowId)}`,
    );
    const result = await handle.result();
    console.log(JSON.stringify(result, null, 2));
    await client.connection.close();
  },
};
