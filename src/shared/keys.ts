import { assertDay } from './days';
import { assertTenantId } from './tenant-id';

/** Object keys of the walking skeleton: deterministic, so a retried activity rewrites the same object. */
export function skeletonKey(tenantId: string, day: string, name: 'events' | 'bulk'): string {
  return `skeleton/tenant=${assertTenantId(tenantId)}/day=${assertDay(day)}/${name}.avro`;
}
