import { WorkflowIdReusePolicy } from '@temporalio/client';
import { skeletonWorkflow } from '../../workflows';
import { addDays } from '../../shared/days';
import { skeletonWorkflowId } from '../../shared/ids';
import { runSearchAttributes } from '../../shared/search-attributes';
import { assertTenantId } from '../../shared/tenant-id';
import { connectTemporal } from '../../client/reachability';
import { readConfig } from '../../workers/config';
import type { CommandSpec } from '../args';
import type { Command } from '../command';
import { numberOption } from '../command';

export const skeletonCommand: Command = {
  spec: {
    name: 'skeleton',
    description: 'Runs the walking-skeleton workflow (S3 + Avro + Elasticsearch) and waits for its result.',
    options: [
      { name: 'tenant', placeholder: 'T', description: 'tenant id (default acme)' },
      { name: 'day', placeholder: 'YYYY-MM-DD', description: 'day (default yesterday, UTC)' },
      { name: 'events', kind: 'number', placeholder: 'N', description: 'events to write (default 1000)' },
      {
        name: 'bulk-mb',
        kind: 'number',
        placeholder: 'M',
        description: 'size of the multipart upload in MiB (default 17)',
      },
    ],
  } satisfies CommandSpec,
  async run(args) {
    const config = readConfig();
    const tenantId = assertTenantId(args.get('tenant') ?? 'acme', '--tenant');
    // The CLI is not workflow code: yesterday (UTC) is a fine default for a manual run.
    const day = args.get('day') ?? addDays(new Date().toISOString().slice(0, 10), -1);
    const client = await connectTemporal(config.temporal);
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
