/**
 * Field patterns of policies: `healthScore` matches that field; `eventsByType` matches the map's
 * entries too (`eventsByType.login`); `eventsByType.*` matches only the entries; `*` matches all.
 */
export function matchesField(pattern: string, field: string): boolean {
  if (pattern === '*' || pattern === field) return true;
  if (pattern.endsWith('.*')) return field.startsWith(pattern.slice(0, -1));
  return field.startsWith(pattern) && field.charCodeAt(pattern.length) === 46; // '.'
}
