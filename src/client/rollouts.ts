import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { defaultComparisonRegistry } from '../compare/policy';
import { InvalidInputError } from '../common/errors';
import { rolloutWorkflowId } from '../common/ids';
import { assertRolloutInput } from '../workflows/request-validation';
import type { RolloutInput } from '../workflows/rollouts/rollout-contracts';
import { rolloutWorkflow } from '../workflows/rollouts/rollout';

export interface StartRolloutOptions extends RolloutInput {
  /** The task queue the rollout workflow runs on (the base queue, as the lanes). */
  taskQueue: string;
  /** Comparison policies the workers know; default: the built-in ones (src/compare/policy.ts). */
  knownPolicies?: readonly string[];
}

/**
 * Starts the rollout of a candidate version (SDK entry point of `daybreak rollout start`). Every
 * check runs before anything starts: both versions must exist in this release and differ, the
 * tenants must be valid and distinct, and the comparison policy must be one the workers know. An
 * unknown candidate (`v3`) is refused here, not left with shadows waiting on a queue no worker polls.
 */
export async function startRollout(
  client: Client,
  options: StartRolloutOptions,
): Promise<WorkflowHandle<typeof rolloutWorkflow>> {
  const { taskQueue, knownPolicies, ...input } = options;
  assertRolloutInput(input);
  const policies = knownPolicies ?? defaultComparisonRegistry.policyNames();
  if (!policies.includes(input.policy.comparisonPolicy)) {
    throw new InvalidInputError(
      `rollout of ${input.candidateVersion}: comparison policy ${JSON.stringify(input.policy.comparisonPolicy)} does not exist; known: ${policies.join(', ')}`,
    );
  }
  return client.workflow.start(rolloutWorkflow, {
    workflowId: rolloutWorkflowId(input.candidateVersion),
    taskQueue,
    // A finished or failed rollout of the same candidate may be started again.
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    args: [input],
    staticSummary: `Rollout of ${input.candidateVersion}`,
  });
}
