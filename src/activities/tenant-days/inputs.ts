import type { ObjectStore } from '../../storage/object-store';
import { toApplicationFailure } from '../../common/application-failures';
import { InvalidInputError } from '../../common/errors';
import { attributesKey, rawHourPrefix } from '../../common/keys';
import { localDayWindow } from '../../common/local-day';
import type { CheckInputsInput, InputsCheck } from '../../workflows/tenant-days/tenant-day-contracts';
import { DEFAULT_INPUT_DEADLINE_HOURS } from '../../workflows/tenant-days/tenant-day-contracts';
import { assertTenantId } from '../../common/tenant-id';

const HOUR = 3_600_000;

export interface S3InputDeps {
  store: ObjectStore;
  /** Default hours after the local day's end a tenant-day waits for its inputs (DAYBREAK_INPUT_DEADLINE_HOURS). */
  inputDeadlineHours?: number;
}

/**
 * The sensor a waiting tenant-day polls (from a workflow timer loop, so the wait costs nothing
 * between checks and survives worker restarts). Short and read-only: one existence check and at
 * most one LIST per UTC hour of the day, stopping at the first object of each hour. It never looks
 * at the clock: it reports what is there and the deadline, and the workflow compares the deadline
 * with its own (deterministic) time.
 */
export function createS3InputActivities({ store, inputDeadlineHours = DEFAULT_INPUT_DEADLINE_HOURS }: S3InputDeps) {
  return {
    async checkTenantDayInputs(input: CheckInputsInput): Promise<InputsCheck> {
      try {
        assertTenantId(input.tenantId);
        const hours = input.deadlineHours ?? inputDeadlineHours;
        if (!(Number.isFinite(hours) && hours >= 0)) {
          throw new InvalidInputError(`input deadline of ${hours} hours must be a non-negative number`);
        }
        const window = localDayWindow(input.day, input.timeZone);
        const snapshot = attributesKey(input.tenantId, input.day);
        const [hasSnapshot, withObjects] = await Promise.all([
          store.exists(snapshot),
          Promise.all(
            window.utcHours.map(async (hour) => {
              for await (const o of store.list(rawHourPrefix(input.tenantId, hour))) {
                if (o.key.endsWith('.avro')) return true;
              }
              return false;
            }),
          ),
        ]);
        const rawHoursWithObjects = withObjects.filter(Boolean).length;
        const missing: string[] = [];
        if (!hasSnapshot) missing.push(`attribute snapshot ${snapshot}`);
        if (rawHoursWithObjects === 0) {
          const first = rawHourPrefix(input.tenantId, window.utcHours[0]);
          const last = rawHourPrefix(input.tenantId, window.utcHours.at(-1)!);
          missing.push(
            `raw events: no objects in any of the day's ${window.utcHours.length} UTC hours (${first} to ${last})`,
          );
        }
        return {
          arrived: missing.length === 0,
          missing,
          rawHours: window.utcHours.length,
          rawHoursWithObjects,
          deadlineMs: window.endMs + hours * HOUR,
        };
      } catch (error) {
        throw toApplicationFailure(error);
      }
    },
  };
}

export type S3InputActivities = ReturnType<typeof createS3InputActivities>;
