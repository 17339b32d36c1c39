/**
 * The root cause of a failure chain, for a person to read. A lane's child fails with "Child Workflow
 * execution failed", caused by "Activity task failed", caused by the error the activity threw
 * ("S3 at 127.0.0.1:7070: connection refused"): only the innermost link says what went wrong.
 *
 * Pure and duck-typed on `message`, `cause` and `type`, so it runs in workflow code on the SDK's
 * failure classes, and in the CLI on the server's proto `Failure` (which carries its type in
 * `applicationFailureInfo.type` and its kind in which `*FailureInfo` is set).
 */
export interface RootCause {
  message: string;
  /** The application error type (src/common/errors.ts), or the failure's kind (TimeoutFailure, ...). */
  type?: string;
}

/** Chains deeper than this are cut: a failure's cause chain is finite, but data from outside need not be. */
const MAX_DEPTH = 20;
const MAX_MESSAGE = 300;

// The proto Failure's kind, by the info field set on it.
const PROTO_KINDS: [string, string][] = [
  ['timeoutFailureInfo', 'TimeoutFailure'],
  ['canceledFailureInfo', 'CancelledFailure'],
  ['terminatedFailureInfo', 'TerminatedFailure'],
  ['serverFailureInfo', 'ServerFailure'],
];

// Names that say only that something wrapped something else, or nothing at all.
const UNINFORMATIVE_NAMES = new Set([
  'Error',
  'TemporalFailure',
  'ApplicationFailure',
  'ChildWorkflowFailure',
  'ActivityFailure',
]);

interface Link {
  message?: unknown;
  cause?: unknown;
  type?: unknown;
  name?: unknown;
  applicationFailureInfo?: { type?: unknown } | null;
  [info: string]: unknown;
}

function typeOf(link: Link): string | undefined {
  if (typeof link.type === 'string' && link.type && !UNINFORMATIVE_NAMES.has(link.type)) return link.type;
  const appType = link.applicationFailureInfo?.type;
  if (typeof appType === 'string' && appType) return appType;
  for (const [field, kind] of PROTO_KINDS) if (link[field]) return kind;
  if (typeof link.name === 'string' && !UNINFORMATIVE_NAMES.has(link.name)) return link.name;
  return undefined;
}

/** One line, bounded: a cause is shown in a status line and recorded in the lane's state. */
function oneLine(message: string): string {
  const line = message.split('\n')[0].trim();
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 1)}…` : line;
}

/**
 * The innermost message of the chain (the deepest link with one) and the innermost type (the deepest
 * link with one worth naming: a plain `Error` is not); a plain value is its own message.
 */
export function rootCauseOf(failure: unknown): RootCause {
  if (typeof failure !== 'object' || failure === null) return { message: oneLine(String(failure)) };
  let message = '';
  let type: string | undefined;
  let link: Link | undefined = failure as Link;
  for (let depth = 0; link && depth < MAX_DEPTH; depth++) {
    if (typeof link.message === 'string' && link.message.trim()) message = link.message;
    type = typeOf(link) ?? type;
    link = typeof link.cause === 'object' && link.cause !== null ? (link.cause as Link) : undefined;
  }
  return type ? { message: oneLine(message), type } : { message: oneLine(message) };
}

/** `Type: message`, or the message alone when there is no type worth naming. */
export function describeRootCause(cause: RootCause): string {
  return cause.type && !cause.message.startsWith(cause.type) ? `${cause.type}: ${cause.message}` : cause.message;
}

/** The summaries the SDK puts on a wrapping failure: a recorded reason that is one of these explains nothing. */
export function isWrapperMessage(message: string | undefined): boolean {
  return message === 'Child Workflow execution failed' || message === 'Activity task failed';
}
