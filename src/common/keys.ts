import { assertDay } from './days';
import { assertPipelineVersion } from './ids';
import type { UtcHour } from './local-day';
import type { RunKind } from './search-attributes';
import { assertTenantId } from './tenant-id';
import { InvalidInputError } from './errors';

/**
 * Every object key Daybreak reads or writes is built here, from validated parts, so a retry or a
 * rerun writes the same key (overwrite, never duplicate) and one tenant's key can never reach into
 * another's prefix.
 *
 *   raw/tenant=<t>/date=<utc date>/hour=<HH>/<file>.avro          raw events, by UTC hour
 *   attributes/tenant=<t>/date=<date>/attributes.avro              account attribute snapshot
 *   outputs/version=<v>/kind=<primary|shadow>/tenant=<t>/day=<local day>/<dataset>[/<file>]
 *     .../run-ledger.json                                          the run's ledger entry (workflows/run-ledger/run-ledger-contracts.ts)
 *   reports/<report>/tenant=<t>/day=<local day>/<file>             comparison CSV and summaries
 *   quarantine/tenant=<t>/date=<date>/<source key, flattened>/<file>
 *   registry/...                                                    schema registry (src/schemas)
 */

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._=-]{0,200}$/;

function assertFileName(name: string): string {
  if (!FILE_NAME.test(name) || name.includes('..')) {
    throw new InvalidInputError(`file name ${JSON.stringify(name)} is invalid`);
  }
  return name;
}

function hh(hour: number): string {
  if (!Number.isInteger(hour) || hour < 0 || hour > 23) throw new InvalidInputError(`hour ${hour} is not 0-23`);
  return String(hour).padStart(2, '0');
}

export function rawHourPrefix(tenantId: string, utcHour: UtcHour): string {
  return `raw/tenant=${assertTenantId(tenantId)}/date=${assertDay(utcHour.date)}/hour=${hh(utcHour.hour)}/`;
}

export function rawEventsKey(tenantId: string, utcHour: UtcHour, fileName: string): string {
  return rawHourPrefix(tenantId, utcHour) + assertFileName(fileName);
}

export function attributesKey(tenantId: string, date: string): string {
  return `attributes/tenant=${assertTenantId(tenantId)}/date=${assertDay(date)}/attributes.avro`;
}

export interface OutputLocation {
  tenantId: string;
  day: string;
  pipelineVersion: string;
  runKind: RunKind;
}

export function outputPrefix(loc: OutputLocation): string {
  if (loc.runKind !== 'primary' && loc.runKind !== 'shadow')
    throw new InvalidInputError(`runKind ${String(loc.runKind)} is invalid`);
  return (
    `outputs/version=${assertPipelineVersion(loc.pipelineVersion)}/kind=${loc.runKind}` +
    `/tenant=${assertTenantId(loc.tenantId)}/day=${assertDay(loc.day)}/`
  );
}

/** A dataset of a run's outputs ('accounts.avro', 'partials/part-0003-of-0007.avro', ...). */
export function outputKey(loc: OutputLocation, path: string): string {
  return outputPrefix(loc) + path.split('/').map(assertFileName).join('/');
}

export function reportKey(report: string, tenantId: string, day: string, fileName: string): string {
  return `reports/${assertFileName(report)}/tenant=${assertTenantId(tenantId)}/day=${assertDay(day)}/${assertFileName(fileName)}`;
}

/** Where bad blocks or records of `sourceKey` go; the source key is kept, flattened, so a user can trace it. */
export function quarantineKey(tenantId: string, date: string, sourceKey: string, fileName: string): string {
  const flattened = sourceKey.replace(/[^A-Za-z0-9._=-]/g, '_');
  return `quarantine/tenant=${assertTenantId(tenantId)}/date=${assertDay(date)}/${assertFileName(flattened)}/${assertFileName(fileName)}`;
}
