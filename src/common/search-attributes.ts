import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { SearchAttributePair } from '@temporalio/common';

/**
 * Daybreak's custom search attributes. deploy/local/stack.env registers the same list with the dev
 * server (a unit test keeps them in sync). They hold ids and days only, never customer data.
 */
export const TenantIdKey = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const PipelineDayKey = defineSearchAttributeKey('PipelineDay', SearchAttributeType.KEYWORD);
export const PipelineVersionKey = defineSearchAttributeKey('PipelineVersion', SearchAttributeType.KEYWORD);
export const RunKindKey = defineSearchAttributeKey('RunKind', SearchAttributeType.KEYWORD);
export const TriggerKey = defineSearchAttributeKey('Trigger', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTE_KEYS = [TenantIdKey, PipelineDayKey, PipelineVersionKey, RunKindKey, TriggerKey];

export type RunKind = 'primary' | 'shadow';
/** 'cascade': a later day recomputed because an earlier one was (src/workflows/lanes/cascade.ts). */
export type Trigger = 'schedule' | 'rerun' | 'backfill' | 'cascade' | 'cli' | 'test';

export interface RunLabels {
  tenantId: string;
  day: string;
  pipelineVersion: string;
  runKind: RunKind;
  trigger: Trigger;
}

/** The search attributes a run is started with; the labels are validated ids, never data. */
export function runSearchAttributes(labels: RunLabels): SearchAttributePair[] {
  return [
    { key: TenantIdKey, value: labels.tenantId },
    { key: PipelineDayKey, value: labels.day },
    { key: PipelineVersionKey, value: labels.pipelineVersion },
    { key: RunKindKey, value: labels.runKind },
    { key: TriggerKey, value: labels.trigger },
  ];
}
