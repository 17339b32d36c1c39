export { tenantDayWorkflow } from './tenant-day';
export { tenantLaneWorkflow } from './tenant-lane';
export { dailyTriggerWorkflow } from './daily-trigger';
export { reconcileWorkflow } from './reconcile';
export { slaMonitorWorkflow } from './sla-monitor';
export { backfillWorkflow } from './backfill';
export { rolloutWorkflow } from './rollout';
