import type { ElasticsearchActivityDeps } from './elasticsearch';
import { createElasticsearchActivities } from './elasticsearch';
import type { S3ActivityDeps } from './s3';
import { createS3Activities } from './s3';

export type ActivityDeps = S3ActivityDeps & ElasticsearchActivityDeps;

/** Every activity Daybreak registers, built over the clients the worker composed. */
export function createActivities(deps: ActivityDeps) {
  return { ...createS3Activities(deps), ...createElasticsearchActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
