import type { estypes } from '@elastic/elasticsearch';
import { loadSchema } from '../../schemas/avro-container';
import { MAPPING_GENERATION, SERVED_ATTRIBUTE_FIELDS } from '../../workflows/serving/serving-contracts';

type AvroType = string | { type: string; values?: AvroType; fields?: AvroField[] } | AvroType[];
interface AvroField {
  name: string;
  type: AvroType;
}

/**
 * Every date field takes what a client naturally sends: an ISO date or date-time ("2026-03-05",
 * "2026-03-05T10:00:00Z") or epoch milliseconds. A date format cannot change on an existing index,
 * which is why the mapping has a generation (MAPPING_GENERATION) and old indices are migrated.
 */
export const DATE_FORMAT = 'strict_date_optional_time||epoch_millis';

/** Ids and codes are keywords; the name is searchable text with a keyword for sorting and exact match. */
const OVERRIDES: Record<string, estypes.MappingProperty> = {
  accountName: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
  day: { type: 'date', format: DATE_FORMAT },
  renewalDate: { type: 'date', format: DATE_FORMAT },
};

function leaf(name: string, type: AvroType): estypes.MappingProperty {
  if (Array.isArray(type)) {
    const branches = type.filter((t) => t !== 'null');
    return branches.length === 1 ? leaf(name, branches[0]) : { type: 'keyword' };
  }
  if (typeof type === 'object') {
    if (type.type === 'record') return { type: 'object', properties: properties(type.fields ?? []) };
    if (type.type === 'map') return { type: 'object', dynamic: true };
    return leaf(name, type.type);
  }
  switch (type) {
    case 'long':
      // Epoch-millisecond instants (…At) are dates, so they can be range-queried and shown as times.
      return name.endsWith('At') ? { type: 'date', format: DATE_FORMAT } : { type: 'long' };
    case 'int':
      return { type: 'integer' };
    case 'double':
      return { type: 'double' };
    case 'float':
      return { type: 'float' };
    case 'boolean':
      return { type: 'boolean' };
    default:
      return { type: 'keyword' };
  }
}

function properties(fields: AvroField[]): Record<string, estypes.MappingProperty> {
  return Object.fromEntries(fields.map((f) => [f.name, OVERRIDES[f.name] ?? leaf(f.name, f.type)]));
}

function mapTemplates(fields: AvroField[]): Array<Record<string, estypes.MappingDynamicTemplate>> {
  return fields.flatMap((f) => {
    const type = Array.isArray(f.type) ? f.type.find((t) => t !== 'null') : f.type;
    if (typeof type !== 'object' || Array.isArray(type) || type.type !== 'map' || !type.values) return [];
    return [{ [`${f.name}_entries`]: { path_match: `${f.name}.*`, mapping: leaf('', type.values) } }];
  });
}

/**
 * The explicit mapping of served account documents (latest view and history alike), derived from
 * src/schemas/account-document.avsc so a field the schema gains is mapped on the next
 * ensureServingIndex, plus the account attributes the documents are served with (their types from
 * src/schemas/account-attributes.avsc). Map fields (eventsByType) map their entries through a
 * dynamic template; any other unknown field is kept in _source but not indexed (dynamic: false), so
 * a stray field can never change the mapping. `_meta.daybreakMapping` is the mapping's generation.
 */
export function accountDocumentMapping(): estypes.MappingTypeMapping {
  const schema = loadSchema('account-document.avsc') as unknown as { fields: AvroField[] };
  const attributes = (loadSchema('account-attributes.avsc') as unknown as { fields: AvroField[] }).fields.filter((f) =>
    (SERVED_ATTRIBUTE_FIELDS as readonly string[]).includes(f.name),
  );
  return {
    dynamic: false,
    _meta: { daybreakMapping: MAPPING_GENERATION },
    dynamic_templates: mapTemplates(schema.fields),
    properties: { ...properties(attributes), ...properties(schema.fields) },
  };
}
