import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../common/search-attributes';

const { IndexedValueType } = temporal.api.enums.v1;

const INDEXED_VALUE_TYPE: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.TEXT]: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.KEYWORD_LIST]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** Namespace names the server accepts, kept narrow so a name is safe in a URL and a log line. */
const NAMESPACE = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function assertNamespace(namespace: unknown): string {
  if (typeof namespace !== 'string' || !NAMESPACE.test(namespace))
    throw new Error(`Temporal namespace ${JSON.stringify(namespace)} is invalid: use 1-63 characters of [a-z0-9._-]`);
  return namespace;
}

export interface EnsureNamespaceResult {
  namespace: string;
  created: boolean;
  /** Daybreak search attributes this call registered (empty when all were there). */
  addedSearchAttributes: string[];
}

// gRPC status codes (google.rpc.Code).
const GrpcStatus = {
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  UNIMPLEMENTED: 12,
  UNAUTHENTICATED: 16,
} as const;

/** What a server answers a caller who may not register search attributes (no rights; a managed service's API). */
function isRefusal(error: unknown): boolean {
  const code = grpcCode(error);
  return (
    code === GrpcStatus.PERMISSION_DENIED || code === GrpcStatus.UNIMPLEMENTED || code === GrpcStatus.UNAUTHENTICATED
  );
}

function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Makes `namespace` usable by Daybreak: registers it when missing and adds any of Daybreak's search
 * attributes it lacks (the dev server registers them for `default` only). Idempotent, and safe when
 * two processes race to create the same namespace.
 */
export async function ensureNamespace(
  connection: Pick<Connection, 'workflowService' | 'operatorService'>,
  namespace: string,
  options: { retentionDays?: number } = {},
): Promise<EnsureNamespaceResult> {
  assertNamespace(namespace);
  let created = false;
  try {
    await connection.workflowService.describeNamespace({ namespace });
  } catch (error) {
    if (grpcCode(error) !== GrpcStatus.NOT_FOUND) throw error;
    try {
      await connection.workflowService.registerNamespace({
        namespace,
        description: 'Daybreak',
        workflowExecutionRetentionPeriod: msToTs(`${options.retentionDays ?? 3} days`),
      });
      created = true;
    } catch (registerError) {
      if (grpcCode(registerError) !== GrpcStatus.ALREADY_EXISTS) throw registerError;
    }
  }
  const { added } = await ensureSearchAttributes(connection, namespace);
  return { namespace, created, addedSearchAttributes: added };
}

/** The `temporal` CLI's name of each search attribute type. */
const CLI_TYPE: Record<SearchAttributeType, string> = {
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

/**
 * The command an operator with the rights runs to register `keys` in `namespace`. Each --name has
 * its own --type: given one --type for several names, the CLI (1.9) registers only the first.
 */
export function searchAttributesCommand(namespace: string, keys = ALL_SEARCH_ATTRIBUTE_KEYS, address?: string): string {
  const at = `${address ? ` --address ${address}` : ''} --namespace ${assertNamespace(namespace)}`;
  const pairs = keys.map((k) => `--name ${k.name} --type ${CLI_TYPE[k.type]}`).join(' ');
  return `temporal operator search-attribute create${at} ${pairs}`;
}

/** Daybreak's search attributes could not be read or registered in a namespace (rights, or a server that refuses). */
export class SearchAttributesError extends Error {
  override readonly name = 'SearchAttributesError';
}

/**
 * Registers those of Daybreak's search attributes (src/common/search-attributes.ts) that
 * `namespace` lacks, and waits until the server uses them: schedules and workflows carrying them
 * are refused before (`no mapping defined for search attribute TenantId`). Idempotent and safe
 * against a concurrent registration. When the server refuses (no operator rights, a managed
 * service), the error says which command to have run.
 */
export async function ensureSearchAttributes(
  connection: Pick<Connection, 'operatorService'>,
  namespace: string,
  /** The server's address, for the command the error names. */
  options: { address?: string } = {},
): Promise<{ added: string[] }> {
  assertNamespace(namespace);
  const refused = (error: unknown, missing = ALL_SEARCH_ATTRIBUTE_KEYS): never => {
    throw new SearchAttributesError(
      `could not register Daybreak's search attributes (${missing.map((k) => k.name).join(', ')}) in namespace ` +
        `${namespace}: ${(error as Error).message.replace(/\.$/, '')}. Have someone with operator rights on the ` +
        `namespace run:\n  ${searchAttributesCommand(namespace, missing, options.address)}\nthen run this again.`,
      { cause: error },
    );
  };
  // A namespace just registered reaches every server role's cache a moment later (NOT_FOUND until then).
  const listNames = async () =>
    untilFound(async () => {
      const listed = await connection.operatorService.listSearchAttributes({ namespace });
      return new Set(Object.keys(listed.customAttributes ?? {}));
    });
  let before: Set<string>;
  try {
    before = await listNames();
  } catch (error) {
    if (isRefusal(error)) refused(error);
    throw error;
  }
  const missing = ALL_SEARCH_ATTRIBUTE_KEYS.filter((k) => !before.has(k.name));
  if (missing.length > 0) {
    await untilFound(async () => {
      try {
        await connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(missing.map((k) => [k.name, INDEXED_VALUE_TYPE[k.type]])),
        });
      } catch (error) {
        // Another process added them between our list and our add.
        if (grpcCode(error) === GrpcStatus.ALREADY_EXISTS) return;
        if (isRefusal(error)) refused(error, missing);
        throw error;
      }
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const after = await listNames();
      if (missing.every((k) => after.has(k.name))) break;
      if (Date.now() > deadline)
        throw new Error(
          `search attributes of namespace ${namespace} did not appear within ${READY_TIMEOUT_MS / 1000}s`,
        );
      await sleep(250);
    }
  }
  return { added: missing.map((k) => k.name) };
}

const READY_TIMEOUT_MS = 30_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function untilFound<T>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (grpcCode(error) !== GrpcStatus.NOT_FOUND || Date.now() > deadline) throw error;
    }
    await sleep(250);
  }
}

/** The Web UI's workflow list of a namespace. */
export function namespaceWebUiUrl(uiUrl: string, namespace: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows`;
}
