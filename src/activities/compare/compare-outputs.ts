import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { ComparisonOutcome, ComparisonRegistry } from '../../compare';
import {
  ComparisonRun,
  OutputReadError,
  defaultComparisonRegistry,
  differenceCsvHeader,
  differenceCsvRecord,
  mergeJoin,
} from '../../compare';
import type { CompareRunOutputsInput, CompareRunOutputsResult, CompareVerdict } from '../../compare/compare-contracts';
import { compareReportKeys, compareReportName } from '../../compare/compare-contracts';
import { assertDay } from '../../common/days';
import { CorruptDataError, InvalidInputError } from '../../common/errors';
import { assertPipelineVersion } from '../../common/ids';
import { outputKey } from '../../common/keys';
import { assertTenantId } from '../../common/tenant-id';
import { readAccountDocumentBatches } from '../../schemas/account-document-reader';
import type { ObjectStore } from '../../storage/object-store';
import { NotFoundError } from '../../storage/object-store';

export interface S3CompareDeps {
  store: ObjectStore;
  /** Policies and comparators by name; the default registry has the built-ins. */
  registry?: ComparisonRegistry;
}

/** The JSON summary written next to the CSV. */
export interface CompareSummaryDocument {
  tenantId: string;
  day: string;
  policy: string;
  verdict: CompareVerdict;
  primary: { pipelineVersion: string; key: string };
  shadow: { pipelineVersion: string; key: string };
  csvKey: string;
  noiseBaseline?: { firstKey: string; secondKey: string; accounts: number; noiseFields: string[] };
  shadowFailure?: string;
  outcome?: ComparisonOutcome;
}

const HEARTBEAT_EVERY = 10_000;

/** Activities that compare run outputs stored in the object store. */
export function createS3CompareActivities({ store, registry = defaultComparisonRegistry }: S3CompareDeps) {
  async function open(key: string, what: string, tenantId: string, day: string): Promise<Readable> {
    try {
      return await store.get(key);
    } catch (error) {
      if (error instanceof NotFoundError)
        throw new InvalidInputError(`${what} ${key} of tenant ${tenantId} day ${day} does not exist`);
      throw error;
    }
  }

  function heartbeat(details: Record<string, unknown>): void {
    const ctx = Context.current();
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure('compareRunOutputs was cancelled');
    ctx.heartbeat(details);
  }

  /** Fields that differ at all between two outputs of the primary version. */
  async function noiseFields(
    input: CompareRunOutputsInput,
    baseline: { firstKey: string; secondKey: string },
  ): Promise<{ fields: Set<string>; accounts: number }> {
    const run = new ComparisonRun({
      policy: registry.resolve({ name: 'noise-baseline', description: '', rules: [] }),
      distributions: false,
    });
    const first = await open(baseline.firstKey, 'noise baseline output', input.tenantId, input.day);
    const second = await open(baseline.secondKey, 'noise baseline output', input.tenantId, input.day);
    let accounts: number;
    try {
      accounts = await mergeJoin(
        readAccountDocumentBatches(first, baseline.firstKey),
        readAccountDocumentBatches(second, baseline.secondKey),
        {
          matched: (p, s) => run.compare(p, s),
          primaryOnly: (p) => run.primaryOnly(p),
          shadowOnly: (s) => run.shadowOnly(s),
          progress: (n) => heartbeat({ phase: 'noise-baseline', accounts: n }),
          progressEvery: HEARTBEAT_EVERY,
        },
      );
    } catch (error) {
      if (error instanceof OutputReadError) {
        const key = error.side === 'primary' ? baseline.firstKey : baseline.secondKey;
        throw new CorruptDataError(
          `noise baseline ${key} of tenant ${input.tenantId} day ${input.day}: ${error.message}`,
          key,
        );
      }
      throw error;
    }
    const fields = new Set(
      run
        .finish()
        .fields.filter((f) => f.differing > 0)
        .map((f) => f.field),
    );
    return { fields, accounts };
  }

  return {
    /**
     * Compares the primary and the shadow run's account documents of one tenant-day under a named
     * policy: streams both files and merge-joins them by accountId (memory stays flat), writes the
     * unexpected differences as CSV as they are found and a JSON summary, and returns the verdict.
     * Idempotent: the report keys are built from (policy report name, tenant, day), so a retry or a
     * rerun overwrites the same two objects. Heartbeats the number of accounts compared.
     */
    async compareRunOutputs(input: CompareRunOutputsInput): Promise<CompareRunOutputsResult> {
      const tenantId = assertTenantId(input.tenantId);
      const day = assertDay(input.day);
      const primaryVersion = assertPipelineVersion(input.primaryPipelineVersion);
      const shadowVersion = assertPipelineVersion(input.shadowPipelineVersion);
      const policy = registry.policy(input.policy);
      const primaryKey =
        input.primaryKey ??
        outputKey({ tenantId, day, pipelineVersion: primaryVersion, runKind: 'primary' }, 'accounts.avro');
      const shadowKey =
        input.shadowKey ??
        outputKey({ tenantId, day, pipelineVersion: shadowVersion, runKind: 'shadow' }, 'accounts.avro');
      const { csvKey, summaryKey } = compareReportKeys(
        tenantId,
        day,
        input.reportName ?? compareReportName(primaryVersion, shadowVersion),
      );
      const log = Context.current().log;
      const summary: CompareSummaryDocument = {
        tenantId,
        day,
        policy: policy.name,
        verdict: 'clean',
        primary: { pipelineVersion: primaryVersion, key: primaryKey },
        shadow: { pipelineVersion: shadowVersion, key: shadowKey },
        csvKey,
      };
      const empty = {
        accountsCompared: 0,
        missingInPrimary: 0,
        missingInShadow: 0,
        unexpected: 0,
        expected: 0,
        noise: 0,
      };

      const shadowFailed = async (reason: string): Promise<CompareRunOutputsResult> => {
        log.warn('shadow run failed; nothing compared', { tenantId, day, shadowKey, reason });
        await store.put(csvKey, Buffer.from(differenceCsvHeader()), { contentType: 'text/csv; charset=utf-8' });
        await store.put(summaryKey, json({ ...summary, verdict: 'shadow-failed', shadowFailure: reason }), {
          contentType: 'application/json',
        });
        return { verdict: 'shadow-failed', policy: policy.name, csvKey, summaryKey, ...empty, shadowFailure: reason };
      };

      if (input.shadowFailed) return shadowFailed(input.shadowFailure ?? 'the shadow run failed');

      let noise: Set<string> | undefined;
      if (input.noiseBaseline) {
        const baseline = await noiseFields(input, input.noiseBaseline);
        noise = baseline.fields;
        summary.noiseBaseline = { ...input.noiseBaseline, accounts: baseline.accounts, noiseFields: [...noise].sort() };
      }

      const primaryStream = await open(primaryKey, 'primary output', tenantId, day);
      let shadowStream: Readable;
      try {
        shadowStream = await store.get(shadowKey);
      } catch (error) {
        primaryStream.destroy();
        if (error instanceof NotFoundError) return shadowFailed(`shadow output ${shadowKey} does not exist`);
        throw error;
      }

      // The CSV streams to the store while the join runs; rows are written as they are found.
      const csv = new PassThrough();
      const upload = store.put(csvKey, csv, { contentType: 'text/csv; charset=utf-8' });
      const uploadEnded = upload.then(() => {
        throw new Error(`upload of ${csvKey} ended before the CSV was complete`);
      });
      uploadEnded.catch(() => {});
      let blocked = false;
      csv.write(differenceCsvHeader());
      const run = new ComparisonRun({
        policy,
        noiseFields: noise,
        onUnexpected: (row) => {
          if (!csv.write(differenceCsvRecord(tenantId, day, row))) blocked = true;
        },
      });
      try {
        await mergeJoin(
          readAccountDocumentBatches(primaryStream, primaryKey),
          readAccountDocumentBatches(shadowStream, shadowKey),
          {
            matched: (p, s) => run.compare(p, s),
            primaryOnly: (p) => run.primaryOnly(p),
            shadowOnly: (s) => run.shadowOnly(s),
            afterEach: () => {
              if (!blocked) return undefined;
              blocked = false;
              return Promise.race([once(csv, 'drain').then(() => undefined), uploadEnded]);
            },
            progress: (accounts) => heartbeat({ phase: 'compare', accounts, unexpected: run.unexpectedCount }),
            progressEvery: HEARTBEAT_EVERY,
          },
        );
      } catch (error) {
        csv.destroy(error as Error);
        await upload.catch(() => {});
        primaryStream.destroy();
        shadowStream.destroy();
        if (error instanceof OutputReadError) {
          if (error.side === 'shadow') return shadowFailed(error.message);
          throw new CorruptDataError(`tenant ${tenantId} day ${day}: ${error.message} (${primaryKey})`, primaryKey);
        }
        throw error;
      }
      const outcome = run.finish();
      csv.end();
      await upload;
      summary.verdict = outcome.verdict;
      summary.outcome = outcome;
      await store.put(summaryKey, json(summary), { contentType: 'application/json' });
      const result: CompareRunOutputsResult = {
        verdict: outcome.verdict,
        policy: policy.name,
        csvKey,
        summaryKey,
        accountsCompared: outcome.accounts.compared,
        missingInPrimary: outcome.accounts.missingInPrimary,
        missingInShadow: outcome.accounts.missingInShadow,
        unexpected: outcome.counts.unexpected,
        expected: outcome.counts.expected,
        noise: outcome.counts.noise,
      };
      log.info('compared run outputs', { tenantId, day, ...result });
      return result;
    },
  };
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value, null, 2) + '\n');
}

export type S3CompareActivities = ReturnType<typeof createS3CompareActivities>;
