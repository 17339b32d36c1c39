import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { ElasticsearchSkeletonActivities } from '../activities/elasticsearch/skeleton';
import type { S3SkeletonActivities } from '../activities/s3/skeleton';
import { activityRetry } from './activity-options';
import type { SkeletonInput, SkeletonResult } from '../shared/skeleton-contracts';

const s3 = proxyActivities<S3SkeletonActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '1 minute',
  retry: activityRetry,
});
const es = proxyActivities<ElasticsearchSkeletonActivities>({
  startToCloseTimeout: '30 seconds',
  retry: activityRetry,
});

/**
 * The walking skeleton: one pass through every real part (Avro on S3 with a conditional create and
 * a multipart upload, read back with avsc, a document in Elasticsearch). Started by
 * `daybreak skeleton`; its id is `daybreak/skeleton/<tenant>/<day>`, so a second start of the same
 * tenant-day is refused while one runs, and a rerun rewrites the same objects and document.
 */
export async function skeletonWorkflow(input: SkeletonInput): Promise<SkeletonResult> {
  setCurrentDetails(`Writing ${input.events} events for ${input.tenantId} ${input.day}`);
  const written = await s3.writeSkeletonEvents({ tenantId: input.tenantId, day: input.day, events: input.events });
  setCurrentDetails(`Uploading a ${input.bulkBytes}-byte bulk file`);
  const bulk = await s3.uploadSkeletonBulkFile({ tenantId: input.tenantId, day: input.day, minBytes: input.bulkBytes });
  setCurrentDetails(`Reading ${written.key} back`);
  const read = await s3.readSkeletonEvents({ key: written.key });
  setCurrentDetails('Indexing the run summary');
  const indexed = await es.indexSkeletonSummary({
    tenantId: input.tenantId,
    day: input.day,
    eventsKey: written.key,
    events: read.events,
    bulkBytes: bulk.bytes,
  });
  setCurrentDetails(`Done: ${read.events} events read back, ${bulk.parts} parts uploaded`);
  return {
    eventsKey: written.key,
    eventsWritten: written.events,
    overwriteRefused: written.overwriteRefused,
    bulkKey: bulk.key,
    bulkBytes: bulk.bytes,
    bulkParts: bulk.parts,
    eventsRead: read.events,
    writerSchemaFingerprint: read.writerSchemaFingerprint,
    index: indexed.index,
    documentId: indexed.documentId,
  };
}
