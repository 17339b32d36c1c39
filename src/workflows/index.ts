export { tenantDayWorkflow } from './tenant-days/tenant-day';
export { tenantLaneWorkflow } from './lanes/tenant-lane';
export { dailyTriggerWorkflow } from './triggers/daily-trigger';
export { reconcileWorkflow } from './reconcile/reconcile';
export { slaMonitorWorkflow } from './sla-monitor/sla-monitor';
export { backfillWorkflow } from './backfills/backfill';
export { rolloutWorkflow } from './rollouts/rollout';
