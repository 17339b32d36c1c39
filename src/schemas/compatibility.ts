import * as avro from 'avsc';

export interface Incompatibility {
  /** Dotted path of the reader field that cannot be filled ('' for the top level). */
  field: string;
  reason: string;
}

function typeName(type: avro.Type): string {
  return type.typeName === 'record' || type.typeName === 'error' ? `record ${type.name ?? ''}` : type.typeName;
}

function tryResolve(reader: avro.Type, writer: avro.Type): string | undefined {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Whether data written with `writer` can be read with `reader` (backward compatibility of the new
 * reader with the latest writer). avsc's createResolver is the authority; this walk only exists to
 * name the field and say why, since avsc's own message ("cannot read X as Y") names neither.
 */
export function findIncompatibility(reader: avro.Type, writer: avro.Type, path = ''): Incompatibility | undefined {
  const problem = tryResolve(reader, writer);
  if (problem === undefined) return undefined;
  if (reader instanceof avro.types.RecordType && writer instanceof avro.types.RecordType) {
    const writerFields = new Map(writer.fields.map((f) => [f.name, f]));
    for (const field of reader.fields) {
      const fieldPath = path ? `${path}.${field.name}` : field.name;
      const names = [field.name, ...(field.aliases ?? [])];
      const matches = names.filter((n) => writerFields.has(n));
      if (matches.length === 0) {
        if (field.defaultValue() === undefined)
          return { field: fieldPath, reason: 'added without a default, so data written before it cannot be read' };
        continue;
      }
      if (matches.length > 1)
        return { field: fieldPath, reason: `ambiguous: aliases match several writer fields (${matches.join(', ')})` };
      const writerField = writerFields.get(matches[0]);
      if (!writerField) continue;
      const fieldProblem = tryResolve(field.type, writerField.type);
      if (fieldProblem === undefined) continue;
      if (field.type instanceof avro.types.RecordType && writerField.type instanceof avro.types.RecordType)
        return findIncompatibility(field.type, writerField.type, fieldPath);
      return {
        field: fieldPath,
        reason: `type changed from ${typeName(writerField.type)} to ${typeName(field.type)}, which is not a promotion Avro can read (${fieldProblem})`,
      };
    }
    if (reader.name !== writer.name && !(reader.aliases ?? []).includes(writer.name ?? ''))
      return { field: path, reason: `record renamed from ${writer.name} to ${reader.name} without an alias` };
  }
  return { field: path, reason: problem };
}
