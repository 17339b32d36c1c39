import type { ObjectStore } from '../storage/object-store';
import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { createElasticsearchSkeletonActivities } from './elasticsearch/skeleton';
import { createS3SkeletonActivities } from './s3/skeleton';
import { createS3CompareActivities } from './s3/compare-outputs';

/**
 * The clients activities are built over. Activities live in one folder per external system they
 * touch (s3/, elasticsearch/); the worker is the only place that builds these clients.
 */
export interface ActivityDeps {
  store: ObjectStore;
  es: ElasticsearchClient;
  indexPrefix: string;
}

/** Every activity Daybreak registers. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createS3SkeletonActivities(deps),
    ...createS3CompareActivities(deps),
    ...createElasticsearchSkeletonActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
