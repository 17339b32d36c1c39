/** The current (v3) reader shape of a raw event, as decoded by avsc. */
export interface RawEvent {
  eventId: string;
  tenantId: string;
  accountId: string;
  userId: string;
  type: string;
  /** Epoch milliseconds, UTC. */
  occurredAt: number;
  value: number;
  properties: Record<string, string>;
  sessionId: string | null;
}

export interface AccountAttributes {
  tenantId: string;
  accountId: string;
  accountName: string;
  lifecycleStage: LifecycleStage;
  plan: string;
  contractValue: number;
  renewalDate: string | null;
  seats: number;
}

export const LIFECYCLE_STAGES = ['trial', 'onboarding', 'adopting', 'mature', 'at_risk', 'churned'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/** Event types whose presence makes an account an "account with billing events". */
export const BILLING_EVENT_TYPES = ['invoice_paid', 'invoice_overdue', 'payment_failed'] as const;
export const USAGE_EVENT_TYPES = ['login', 'page_view', 'feature_use', 'report_export', 'api_call'] as const;
