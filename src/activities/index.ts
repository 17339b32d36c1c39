import type { ObjectStore } from '../storage/object-store';
import { SchemaRegistry } from '../schemas/registry';
import type { Client as TemporalClient } from '@temporalio/client';
import type { LaneDefaults } from '../client/lanes';
import type { TenantConfig } from '../workflows/tenants/tenant-config';
import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { createElasticsearchServingActivities } from './serving/serving';
import { createTemporalLaneActivities } from './lanes/lanes';
import { createSlaMonitorActivities } from './sla-monitor/sla-monitor';
import { createS3CompareActivities } from './compare/compare-outputs';
import { createMetricActivities } from './tenant-days/metric-activities';
import type { PartitionRunner } from './tenant-days/aggregate-partition';
import type { BucketTaskRunner } from './tenant-days/bucket-tasks';
import { createS3InputActivities } from './tenant-days/inputs';
import { createDataCheckActivities } from './data-checks/data-checks';
import { createRunLedgerActivities } from './run-ledger/run-ledger';
import { supervise } from './supervised';
import { createAlertActivities } from './alerts/send-alert';
import type { AlertSinks } from './alerts/send-alert';
import type { Endpoints } from '../common/outage';

/**
 * The clients activities are built over. Activities live in one folder per external system they
 * touch (s3/, elasticsearch/, temporal/); the worker is the only place that builds these clients.
 */
export interface ActivityDeps {
  store: ObjectStore;
  es: ElasticsearchClient;
  indexPrefix: string;
  /** Temporal itself, for the activities that start, signal or query other workflows. */
  temporal: TemporalClient;
  laneDefaults: LaneDefaults;
  loadTenants: () => Promise<TenantConfig[]>;
  /**
   * The schema registry raw files' writer schemas are checked against (MetricDeps.registry);
   * default: the one kept in `store`. Never off: a worker without it would take a file written with
   * a schema nobody registered as data instead of quarantining it or failing the run. (Not named
   * `registry`: the compare activities' deps have a comparison registry under that name.)
   */
  schemaRegistry?: SchemaRegistry;
  /** See MetricDeps.minPartitionBytes. */
  minPartitionBytes?: number;
  /** See MetricDeps.partitionRunner. */
  partitionRunner?: PartitionRunner;
  /** See MetricDeps.bucketTaskRunner. */
  bucketTaskRunner?: BucketTaskRunner;
  /** See MetricDeps.memoryShareBytes. */
  memoryShareBytes?: number;
  /** See S3InputDeps.inputDeadlineHours. */
  inputDeadlineHours?: number;
  /** Dependency addresses, named in the message of a connection failure (dependencyEndpoints(config)). */
  endpoints?: Endpoints;
  /** Where alerts go besides the worker log (config.alerts); default: the worker log only. */
  alerts?: AlertSinks;
}

/** Every activity Daybreak registers, each under the keep-alive and outage rules of supervise(). */
export function createActivities(deps: ActivityDeps) {
  return supervise(allActivities(deps), { endpoints: deps.endpoints });
}

function allActivities(deps: ActivityDeps) {
  return {
    ...createS3CompareActivities(deps),
    ...createMetricActivities({ ...deps, registry: deps.schemaRegistry ?? new SchemaRegistry(deps.store) }),
    ...createS3InputActivities(deps),
    ...createElasticsearchServingActivities(deps),
    ...createTemporalLaneActivities(deps),
    ...createSlaMonitorActivities(deps),
    ...createAlertActivities(deps.alerts),
    ...createRunLedgerActivities(deps),
    ...createDataCheckActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
