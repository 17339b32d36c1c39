import type { PlanTier, TenantConfig } from '../workflows/tenants/tenant-config';
import { PLAN_TIERS } from '../workflows/tenants/tenant-config';
import type { Rng } from './random';

/**
 * Zones every generated month covers: two DST zones (NY, Berlin), a :30 zone (Kolkata), a :45 zone
 * with DST (Chatham), UTC+14 (Kiritimati), and Havana, whose midnight does not exist on its
 * spring-forward day.
 */
export const GENERATOR_TIME_ZONES = [
  'America/New_York',
  'Europe/Berlin',
  'Asia/Kolkata',
  'Pacific/Chatham',
  'Pacific/Kiritimati',
  'America/Havana',
  'Australia/Lord_Howe',
  'America/Los_Angeles',
  'Asia/Tokyo',
  'UTC',
];

const NAMES = [
  ['acme', 'Acme Corp'],
  ['globex', 'Globex ☀️'],
  ['initech', 'Initech इनिटेक'],
  ['umbrella', 'Umbrella ☂️'],
  ['hooli', 'Hooli'],
  ['soylent', 'Soylent ñandú'],
  ['stark', 'Stark Industries'],
  ['wonka', 'Wonka 🍫'],
  ['tyrell', 'Tyrell'],
  ['cyberdyne', 'שלום Cyberdyne'],
] as const;

/** N tenants with fixed ids (acme, globex, ..., then acme-2, ...) spread over GENERATOR_TIME_ZONES. */
export function generateTenants(count: number, rng: Rng): TenantConfig[] {
  return Array.from({ length: count }, (_, i): TenantConfig => {
    const [stem, display] = NAMES[i % NAMES.length];
    const round = Math.floor(i / NAMES.length);
    return {
      id: round ? `${stem}-${round + 1}` : stem,
      displayName: round ? `${display} ${round + 1}` : display,
      timeZone: GENERATOR_TIME_ZONES[i % GENERATOR_TIME_ZONES.length],
      runHour: rng.int(4),
      enabled: true,
      planTier: rng.pick<PlanTier>(PLAN_TIERS),
      badDataPolicy: i % 2 ? 'fail' : 'quarantine',
    };
  });
}
