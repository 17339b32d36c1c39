import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '../common/errors';
import type { TenantsFile } from '../workflows/tenants/tenant-config';
import { parseTenantsFile } from '../workflows/tenants/tenant-config';

/** Reads and validates a tenants file (deploy/tenants.json by default); errors name the file and the entry. */
export async function loadTenantsFile(file: string): Promise<TenantsFile> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new InvalidInputError(`tenants file ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseTenantsFile(raw, `tenants file ${file}`);
}
