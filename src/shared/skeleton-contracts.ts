/** Contracts of the walking skeleton: one object in, one object out, keys and counts only. */

export interface SkeletonInput {
  tenantId: string;
  day: string;
  /** Records in the small events file. */
  events: number;
  /** Minimum size of the bulk file, which goes up as a multipart upload. */
  bulkBytes: number;
}

export interface SkeletonResult {
  eventsKey: string;
  eventsWritten: number;
  overwriteRefused: boolean;
  bulkKey: string;
  bulkBytes: number;
  bulkParts: number;
  eventsRead: number;
  writerSchemaFingerprint: string;
  index: string;
  documentId: string;
}

export interface WriteSkeletonEventsInput {
  tenantId: string;
  day: string;
  events: number;
}

export interface WriteSkeletonEventsResult {
  key: string;
  events: number;
  bytes: number;
  /** The conditional create refused to overwrite the object once it existed. */
  overwriteRefused: boolean;
}

export interface UploadSkeletonBulkFileInput {
  tenantId: string;
  day: string;
  minBytes: number;
}

export interface UploadSkeletonBulkFileResult {
  key: string;
  bytes: number;
  parts: number;
  events: number;
}

export interface ReadSkeletonEventsInput {
  key: string;
}

export interface ReadSkeletonEventsResult {
  key: string;
  events: number;
  writerSchemaFingerprint: string;
}

export interface IndexSkeletonSummaryInput {
  tenantId: string;
  day: string;
  eventsKey: string;
  events: number;
  bulkBytes: number;
}

export interface IndexSkeletonSummaryResult {
  index: string;
  documentId: string;
}
