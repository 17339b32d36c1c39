import { PIPELINE_VERSIONS, isPipelineVersionName, pipelineTaskGraph } from '../metrics/pipelines';
import { assertDay } from '../common/days';
import { InvalidInputError } from '../common/errors';
import type { RunRequest, TenantSettings } from './lanes/lane-contracts';
import { timeZoneProblem } from '../common/time-zone';
import type { RolloutInput } from './rollouts/rollout-contracts';
import type { TenantDayInput } from './tenant-days/tenant-day-contracts';
import { assertTenantId } from '../common/tenant-id';
import { MAX_BUCKETS, isBucketCount } from '../metrics/buckets';

/**
 * The checks a run request, a tenant-day and a rollout must pass before anything starts. Pure (no
 * I/O, no clock), so the SDK functions refuse a bad request before it reaches the server, and the
 * workflows' update validators and first steps apply exactly the same rules: a request a lane has
 * accepted can always run, and a workflow that still meets bad input fails at once with the reason.
 * Every message names the value and what would be valid.
 */

const REQUEST_KINDS = ['daily', 'rerun', 'backfill'];
const BAD_DATA_POLICIES = ['fail', 'quarantine'];
const RUN_KINDS = ['primary', 'shadow'];

/** A pipeline version that has a metric pipeline in this release. */
export function assertKnownPipelineVersion(value: unknown, context = 'pipeline version'): string {
  if (typeof value !== 'string' || !isPipelineVersionName(value)) {
    throw new InvalidInputError(
      `${context} ${JSON.stringify(value)} does not exist; known: ${PIPELINE_VERSIONS.join(', ')}`,
    );
  }
  return value;
}

/** A task of the version's metric graph (what `fromTask` may name). */
export function assertPipelineTask(task: unknown, pipelineVersion: string): string {
  const tasks = pipelineTaskGraph(assertKnownPipelineVersion(pipelineVersion)).map((t) => t.name);
  if (typeof task !== 'string' || !tasks.includes(task)) {
    throw new InvalidInputError(
      `task ${JSON.stringify(task)} is not a task of pipeline ${pipelineVersion}; tasks: ${tasks.join(', ')}`,
    );
  }
  return task;
}

export function assertTenantSettings(tenant: TenantSettings | undefined, context = 'tenant settings'): TenantSettings {
  if (!tenant || typeof tenant !== 'object') throw new InvalidInputError(`${context} are missing`);
  const zoneProblem = timeZoneProblem(tenant.timeZone);
  if (zoneProblem) throw new InvalidInputError(`${context}: time zone ${zoneProblem}`);
  if (!BAD_DATA_POLICIES.includes(tenant.badDataPolicy)) {
    throw new InvalidInputError(
      `${context}: bad data policy ${JSON.stringify(tenant.badDataPolicy)} is invalid; use ${BAD_DATA_POLICIES.join(' or ')}`,
    );
  }
  return tenant;
}

/**
 * A lane run request: its day, kind, version and `fromTask` (a task of the version that will run:
 * the request's own, or the lane's primary `primaryVersion`), and the tenant settings it carries.
 */
export function assertRunRequest(input: { tenantId: string; request: RunRequest; primaryVersion: string }): void {
  const { request } = input;
  const where = `run request for tenant ${input.tenantId}`;
  if (!request || typeof request !== 'object') throw new InvalidInputError(`${where} is missing`);
  assertDay(request.day, `${where}: day`);
  if (!REQUEST_KINDS.includes(request.kind)) {
    throw new InvalidInputError(
      `${where}: kind ${JSON.stringify(request.kind)} is invalid; use ${REQUEST_KINDS.join(', ')}`,
    );
  }
  const version = assertKnownPipelineVersion(
    request.pipelineVersion ?? input.primaryVersion,
    `${where}: pipeline version`,
  );
  if (request.fromTask !== undefined) {
    try {
      assertPipelineTask(request.fromTask, version);
    } catch (error) {
      throw new InvalidInputError(`${where} ${request.day}: fromTask: ${(error as Error).message}`);
    }
  }
  if (typeof request.requestedBy !== 'string' || request.requestedBy.length === 0) {
    throw new InvalidInputError(`${where} ${request.day}: requestedBy (who asked) is missing`);
  }
  assertTenantSettings(request.tenant, `${where} ${request.day}: tenant settings`);
}

function assertPositiveInteger(value: number | undefined, context: string): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
    throw new InvalidInputError(`${context} ${JSON.stringify(value)} must be a whole number of at least 1`);
  }
}

/** Everything a tenant-day needs to run at all; the shadow's version is checked where the shadow is started. */
export function assertTenantDayInput(input: TenantDayInput): void {
  if (!input || typeof input !== 'object') throw new InvalidInputError('tenant-day input is missing');
  const tenantId = assertTenantId(input.tenantId);
  const where = `tenant-day of ${tenantId}`;
  const day = assertDay(input.day, `${where}: day`);
  const at = `${where} ${day}`;
  assertTenantSettings({ timeZone: input.timeZone, badDataPolicy: input.badDataPolicy }, at);
  const version = assertKnownPipelineVersion(input.pipelineVersion, `${at}: pipeline version`);
  if (!RUN_KINDS.includes(input.runKind)) {
    throw new InvalidInputError(`${at}: run kind ${JSON.stringify(input.runKind)} is invalid; use primary or shadow`);
  }
  if (input.fromTask !== undefined) {
    try {
      assertPipelineTask(input.fromTask, version);
    } catch (error) {
      throw new InvalidInputError(`${at}: fromTask: ${(error as Error).message}`);
    }
  }
  assertPositiveInteger(input.maxPartitions, `${at}: maxPartitions`);
  assertPositiveInteger(input.partitionConcurrency, `${at}: partitionConcurrency`);
  if (input.buckets !== undefined && !isBucketCount(input.buckets)) {
    throw new InvalidInputError(
      `${at}: buckets ${JSON.stringify(input.buckets)} must be a power of two from 1 to ${MAX_BUCKETS}`,
    );
  }
  assertPositiveInteger(input.bucketConcurrency, `${at}: bucketConcurrency`);
  assertPositiveInteger(input.outageRideOutMinutes, `${at}: outageRideOutMinutes`);
  if (input.comparedWith)
    assertKnownPipelineVersion(input.comparedWith.pipelineVersion, `${at}: compared-with version`);
}

/** A rollout: two different existing versions, a non-empty set of distinct valid tenants, a sane policy. */
export function assertRolloutInput(input: RolloutInput): void {
  if (!input || typeof input !== 'object') throw new InvalidInputError('rollout input is missing');
  const candidate = assertKnownPipelineVersion(input.candidateVersion, 'rollout candidate version');
  const baseline = assertKnownPipelineVersion(input.baselineVersion, `rollout of ${candidate}: baseline version`);
  const where = `rollout of ${candidate}`;
  if (candidate === baseline) {
    throw new InvalidInputError(`${where}: the candidate is the baseline version; a rollout needs two versions`);
  }
  if (!Array.isArray(input.tenants) || input.tenants.length === 0) {
    throw new InvalidInputError(`${where}: no tenants; name at least one`);
  }
  const seen = new Set<string>();
  for (const t of input.tenants) {
    const id = assertTenantId(t?.tenantId, `${where}: tenant id`);
    if (seen.has(id)) throw new InvalidInputError(`${where}: tenant ${id} is named twice`);
    seen.add(id);
    assertTenantSettings(t.tenant, `${where}: tenant ${id}`);
  }
  const policy = input.policy;
  if (!policy || typeof policy.comparisonPolicy !== 'string' || policy.comparisonPolicy.length === 0) {
    throw new InvalidInputError(`${where}: the comparison policy is missing`);
  }
  assertPositiveInteger(policy.cleanDaysToEligible, `${where}: cleanDaysToEligible`);
  if (typeof policy.cleanDaysToEligible !== 'number') {
    throw new InvalidInputError(`${where}: cleanDaysToEligible is missing`);
  }
}
