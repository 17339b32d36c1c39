import { proxyActivities } from '@temporalio/workflow';

const { ping } = proxyActivities<{ ping(): Promise<string> }>({ startToCloseTimeout: '1 minute' });

/** The smallest round trip through a worker: proves which namespace the worker polls. */
export async function pingWorkflow(): Promise<string> {
  return ping();
}
