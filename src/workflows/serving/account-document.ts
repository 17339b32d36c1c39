/** TypeScript view of src/schemas/account-document.avsc: one account's metrics for one local day. */
export interface AccountDocument {
  tenantId: string;
  accountId: string;
  day: string;
  pipelineVersion: string;
  accountName: string;
  lifecycleStage: string;
  eventsTotal: number;
  eventsByType: Record<string, number>;
  activeUsers: number;
  sessions: number;
  firstActivityAt: number | null;
  lastActivityAt: number | null;
  activeUsers7d: number;
  activeUsers30d: number;
  events7d: number;
  events30d: number;
  eventsPrevious7d: number;
  trendWoW: number | null;
  activityPercentile: number;
  billingEvents: number;
  billingHealth: number;
  healthScore: number;
  healthDelta: number | null;
}
