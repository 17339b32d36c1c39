/**
 * Names the dependency behind a connection-level failure, so that what an operator sees while a
 * run waits (the pending activity's last failure in the Web UI, `temporal workflow describe`,
 * `daybreak status`) says what is down: "S3 at 127.0.0.1:7070: connection refused". Pure: the
 * endpoints come from the worker's configuration.
 */

/**
 * Attempts after which a failure that is not a connection failure ends its activity: outages are
 * ridden out for as long as the retry policy's schedule-to-close allows, a bug is not retried for
 * half an hour.
 */
export const NON_OUTAGE_ATTEMPTS = 6;

/** Dependency name -> its URL (or host:port), e.g. { S3: 'http://127.0.0.1:7070' }. */
export type Endpoints = Readonly<Record<string, string>>;

const CONNECTION_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'connection timed out',
  ECONNABORTED: 'connection aborted',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'name lookup failed',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

/**
 * Messages of failures that carry no code but are connection-level all the same: the code quoted in
 * the message (an @elastic/transport ConnectionError keeps only the message, gRPC puts it in its
 * details), then wordings without one; gRPC's UNAVAILABLE (a Temporal server restarting) last.
 */
const CONNECTION_MESSAGES: readonly [RegExp, string][] = [
  ...Object.entries(CONNECTION_CODES).map(([code, what]): [RegExp, string] => [new RegExp(`\\b${code}\\b`), what]),
  [/socket hang up/i, 'connection closed'],
  [/other side closed/i, 'connection closed'],
  [/connection refused/i, 'connection refused'],
  [/no living connections/i, 'no connection could be made'],
  [/\bUNAVAILABLE\b/, 'unavailable'],
];

/** Error classes that are connection-level whatever their message says. */
const CONNECTION_ERROR_NAMES: Readonly<Record<string, string>> = {
  NoLivingConnectionsError: 'no connection could be made',
  ConnectionError: 'connection failed',
  // A server that accepts but does not answer (hung, overloaded, cut off): the Elasticsearch
  // client's requestTimeout, the S3 client's connectionTimeout (workers/clients.ts).
  TimeoutError: 'no answer in time',
};

export interface ConnectionFailure {
  /** "S3 at 127.0.0.1:7070", or the bare address when it is no known dependency's. */
  dependency: string;
  /** "connection refused", "connection reset", ... */
  what: string;
  message: string;
}

function hostPort(url: string): string | undefined {
  try {
    const parsed = new URL(url.includes('://') ? url : `http://${url}`);
    const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
    return `${parsed.hostname}:${port}`;
  } catch {
    return undefined;
  }
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);

/**
 * Whether a failed connection's address is an endpoint's: `localhost` is dialled as 127.0.0.1 or
 * ::1 (Node reports the address it tried, URLs bracket IPv6 hosts).
 */
function sameAddress(address: string, endpoint: string): boolean {
  const split = (hp: string) => {
    const at = hp.lastIndexOf(':');
    const host = hp
      .slice(0, at)
      .replace(/^\[(.*)\]$/, '$1')
      .toLowerCase();
    return { host: LOOPBACK.has(host) ? 'loopback' : host, port: hp.slice(at + 1) };
  };
  const [a, b] = [split(address), split(endpoint)];
  return a.host === b.host && a.port === b.port;
}

/** The error and its causes (cause chains, AggregateError members), breadth first, bounded. */
function* chain(error: unknown): Generator<Record<string, unknown>> {
  const queue: unknown[] = [error];
  const seen = new Set<unknown>();
  while (queue.length > 0 && seen.size < 32) {
    const e = queue.shift();
    if (e === null || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const record = e as Record<string, unknown>;
    yield record;
    if (Array.isArray(record.errors)) queue.push(...(record.errors as unknown[]));
    queue.push(record.cause);
    // @elastic/transport keeps the underlying error's fields under meta.
    if (record.meta && typeof record.meta === 'object') queue.push((record.meta as Record<string, unknown>).body);
  }
}

/**
 * Statuses with which a server that is up says it cannot serve now (throttled, restarting, its
 * upstream away): ridden out like a refused connection. A 500 is not among them: it is as often a
 * request the server can never serve.
 */
const UNAVAILABLE_STATUSES = new Set([429, 502, 503, 504]);

/** The HTTP status of an AWS SDK error ($metadata) or an @elastic/transport ResponseError (statusCode). */
function httpStatusOf(record: Record<string, unknown>): number | undefined {
  const aws = (record.$metadata as { httpStatusCode?: unknown } | undefined)?.httpStatusCode;
  if (typeof aws === 'number') return aws;
  return typeof record.statusCode === 'number' ? record.statusCode : undefined;
}

function addressOf(record: Record<string, unknown>): string | undefined {
  const port = record.port;
  if (typeof record.address === 'string' && (typeof port === 'number' || typeof port === 'string'))
    return `${record.address}:${port}`;
  // @elastic/transport names the node it tried under meta.meta.connection.url.
  const connection = (record.meta as { meta?: { connection?: { url?: unknown } } } | undefined)?.meta?.connection;
  if (connection && typeof connection.url === 'string') return hostPort(connection.url);
  const message = typeof record.message === 'string' ? record.message : '';
  return /(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]|localhost):(\d+)/i.exec(message)?.[0];
}

/**
 * The connection failure inside `error`, named after the endpoint it was trying to reach; undefined
 * when the error is not connection-level (a 4xx, a bad record, a bug), which keeps its own message.
 */
export function describeConnectionFailure(error: unknown, endpoints: Endpoints = {}): ConnectionFailure | undefined {
  let what: string | undefined;
  let address: string | undefined;
  // The AWS SDK marks the errors of its calls with $metadata, and Daybreak's only AWS client is S3's:
  // that names an S3 failure that carries no address (the SDK's own timeouts).
  let fromAwsSdk = false;
  for (const record of chain(error)) {
    fromAwsSdk ||= '$metadata' in record;
    const code = typeof record.code === 'string' ? record.code : undefined;
    const message = typeof record.message === 'string' ? record.message : '';
    const name = typeof record.name === 'string' ? record.name : '';
    const status = httpStatusOf(record);
    const found =
      (status !== undefined && UNAVAILABLE_STATUSES.has(status) ? `unavailable (HTTP ${status})` : undefined) ??
      (code && CONNECTION_CODES[code]) ??
      CONNECTION_MESSAGES.find(([pattern]) => pattern.test(message))?.[1] ??
      CONNECTION_ERROR_NAMES[name];
    if (found && !what) what = found;
    address ??= addressOf(record);
    if (what && address) break;
  }
  if (!what) return undefined;
  const known = Object.entries(endpoints).find(([, url]) => {
    const endpoint = hostPort(url);
    return address !== undefined && endpoint !== undefined && sameAddress(address, endpoint);
  });
  const onlyOne = Object.entries(endpoints).length === 1 ? Object.entries(endpoints)[0] : undefined;
  const awsS3 = fromAwsSdk && endpoints.S3 ? ['S3', endpoints.S3] : undefined;
  const [name, url] = known ?? (address === undefined ? (awsS3 ?? onlyOne ?? []) : []);
  const at = url ? hostPort(url) : address;
  const dependency = name ? `${name} at ${at}` : (at ?? 'a dependency');
  return { dependency, what, message: `${dependency}: ${what}` };
}
