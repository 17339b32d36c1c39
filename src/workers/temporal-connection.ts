import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { TLSConfig } from '@temporalio/client';
import type { ClientConfigProfile, ConfigDataSource } from '@temporalio/envconfig';
import { loadClientConfig, loadClientConfigProfile } from '@temporalio/envconfig';

/**
 * How Daybreak reaches Temporal, resolved the way the Temporal ecosystem does it (`temporal` CLI, the
 * SDKs): a profile of a TOML file (`TEMPORAL_CONFIG_FILE`, else `~/.config/temporalio/temporal.toml`),
 * overridden by the TEMPORAL_* variables; Daybreak's own DAYBREAK_TEMPORAL_ADDRESS and
 * DAYBREAK_TEMPORAL_NAMESPACE win over both (the tests isolate themselves through the namespace).
 */

/** A certificate or key: a file read at connect time, or the PEM itself. `origin` names what set it. */
export interface CertificateSource {
  origin: string;
  path?: string;
  data?: Uint8Array;
}

/** TLS to the frontend; no certificate at all means the system's root CAs (Temporal Cloud). */
export interface TemporalTls {
  serverName?: string;
  serverCaCert?: CertificateSource;
  clientCert?: CertificateSource;
  clientKey?: CertificateSource;
}

export interface TemporalConnection {
  address: string;
  namespace: string;
  /** Undefined or false: plaintext. */
  tls?: TemporalTls | false;
  /** Sent as `Authorization: Bearer …`; never printed. */
  apiKey?: string;
  /** gRPC headers sent with every call (the profile's `grpc_meta`, TEMPORAL_GRPC_META_*). */
  metadata?: Record<string, string>;
  /** Where the address came from, for messages: a variable, a profile of a file, or the default. */
  origin?: string;
}

export interface ConnectionDefaults {
  address: string;
  namespace: string;
  /** What the default address is made of, for messages. */
  origin: string;
}

const GRPC_META_PREFIX = 'TEMPORAL_GRPC_META_';

/** The variables Temporal's envconfig reads, picked one by one so that no other variable reaches it. */
function profileVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  const picked: Record<string, string | undefined> = {
    TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE,
    TEMPORAL_API_KEY: env.TEMPORAL_API_KEY,
    TEMPORAL_TLS: env.TEMPORAL_TLS,
    TEMPORAL_TLS_CLIENT_CERT_PATH: env.TEMPORAL_TLS_CLIENT_CERT_PATH,
    TEMPORAL_TLS_CLIENT_CERT_DATA: env.TEMPORAL_TLS_CLIENT_CERT_DATA,
    TEMPORAL_TLS_CLIENT_KEY_PATH: env.TEMPORAL_TLS_CLIENT_KEY_PATH,
    TEMPORAL_TLS_CLIENT_KEY_DATA: env.TEMPORAL_TLS_CLIENT_KEY_DATA,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: env.TEMPORAL_TLS_SERVER_CA_CERT_PATH,
    TEMPORAL_TLS_SERVER_CA_CERT_DATA: env.TEMPORAL_TLS_SERVER_CA_CERT_DATA,
    TEMPORAL_TLS_SERVER_NAME: env.TEMPORAL_TLS_SERVER_NAME,
  };
  // Header names are open-ended: only their names are listed, and only those values are read.
  for (const name of Object.keys(env).filter((n) => n.startsWith(GRPC_META_PREFIX))) picked[name] = env[name];
  const set: Record<string, string> = {};
  for (const [name, value] of Object.entries(picked)) if (value !== undefined && value !== '') set[name] = value;
  return set;
}

/** The profile file: TEMPORAL_CONFIG_FILE, else the ecosystem's default place (which may be absent). */
function profileFile(env: NodeJS.ProcessEnv): { path: string; explicit: boolean } | undefined {
  const explicit = env.TEMPORAL_CONFIG_FILE;
  if (explicit) return { path: path.resolve(explicit), explicit: true };
  const xdg = env.XDG_CONFIG_HOME;
  const home = env.HOME;
  const dir = xdg && path.isAbsolute(xdg) ? xdg : home ? path.join(home, '.config') : undefined;
  return dir ? { path: path.join(dir, 'temporalio', 'temporal.toml'), explicit: false } : undefined;
}

function readProfileFile(file: { path: string; explicit: boolean } | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file.path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!file.explicit && code === 'ENOENT') return undefined;
    const what = file.explicit ? `TEMPORAL_CONFIG_FILE=${file.path}` : `the Temporal profile file ${file.path}`;
    throw new Error(`${what}: ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? String(error)})`}`);
  }
}

/**
 * The first sentence of an envconfig or TOML error, with its line and column: smol-toml quotes the
 * offending line, and that line may hold an API key or a key's PEM.
 */
function safeReason(error: unknown): string {
  const e = error as { message?: string; line?: number; column?: number };
  const first = (e.message ?? String(error)).split('\n')[0].trim();
  return e.line !== undefined ? `${first} (line ${e.line}, column ${e.column ?? '?'})` : first;
}

function loadProfile(env: NodeJS.ProcessEnv): {
  profile: ClientConfigProfile;
  name?: string;
  file?: string;
  variables: Record<string, string>;
} {
  const variables = profileVariables(env);
  const file = profileFile(env);
  const data = readProfileFile(file);
  const requested = env.TEMPORAL_PROFILE || undefined;
  if (data === undefined) {
    if (requested)
      throw new Error(
        `TEMPORAL_PROFILE=${requested} names a profile, but there is no profile file ` +
          `(TEMPORAL_CONFIG_FILE is unset and ${file?.path ?? '~/.config/temporalio/temporal.toml'} does not exist)`,
      );
    return { profile: loadClientConfigProfile({ disableFile: true, overrideEnvVars: variables }), variables };
  }
  const at = file!.path;
  let names: string[];
  try {
    // Strict: a misspelt key (`client_cert`) would otherwise drop mTLS without a word.
    const parsed = loadClientConfig({ configSource: { data }, configFileStrict: true, overrideEnvVars: {} });
    names = Object.keys(parsed.profiles);
  } catch (error) {
    // envconfig cannot take a file without a [profile] table (empty, or comments only): it has no profiles.
    if (!(error instanceof TypeError))
      throw new Error(`the Temporal profile file ${at} is not a valid profile file: ${safeReason(error)}`);
    names = [];
  }
  if (requested && !names.includes(requested))
    throw new Error(
      `TEMPORAL_PROFILE=${requested}: no profile "${requested}" in ${at} (it has ${names.length ? names.join(', ') : 'none'})`,
    );
  const name = requested ?? (names.includes('default') ? 'default' : undefined);
  if (name === undefined)
    return { profile: loadClientConfigProfile({ disableFile: true, overrideEnvVars: variables }), variables };
  try {
    const profile = loadClientConfigProfile({
      configSource: { data },
      profile: name,
      configFileStrict: true,
      overrideEnvVars: variables,
    });
    return { profile, name, file: at, variables };
  } catch (error) {
    throw new Error(`profile "${name}" of ${at}: ${safeReason(error)}`);
  }
}

/** What set a TLS field: its variable when one is set, else the profile's key. */
function originOf(variables: Record<string, string>, field: string, inProfile: string, source: ConfigDataSource) {
  const kind = 'path' in source ? 'PATH' : 'DATA';
  const variable = `TEMPORAL_TLS_${field}_${kind}`;
  return variables[variable] !== undefined
    ? variable
    : `tls.${field.toLowerCase()}_${kind.toLowerCase()} of ${inProfile}`;
}

function certificate(
  variables: Record<string, string>,
  field: string,
  inProfile: string,
  source: ConfigDataSource | undefined,
): CertificateSource | undefined {
  if (!source) return undefined;
  const origin = originOf(variables, field, inProfile, source);
  if ('path' in source) return { origin, path: source.path };
  return { origin, data: typeof source.data === 'string' ? new TextEncoder().encode(source.data) : source.data };
}

/**
 * The connection: DAYBREAK_TEMPORAL_ADDRESS / DAYBREAK_TEMPORAL_NAMESPACE when set, else the profile
 * (file, then TEMPORAL_* variables over it), else `defaults`. TLS, API key and headers come from the
 * profile alone. Files named for certificates are read when connecting, not here.
 */
export function resolveTemporalConnection(env: NodeJS.ProcessEnv, defaults: ConnectionDefaults): TemporalConnection {
  const { profile, name, file, variables } = loadProfile(env);
  const inProfile = file && name ? `profile "${name}" of ${file}` : 'the TEMPORAL_* variables';
  const daybreakAddress = env.DAYBREAK_TEMPORAL_ADDRESS || undefined;
  const daybreakNamespace = env.DAYBREAK_TEMPORAL_NAMESPACE || undefined;
  const origin = daybreakAddress
    ? 'DAYBREAK_TEMPORAL_ADDRESS'
    : variables.TEMPORAL_ADDRESS !== undefined
      ? 'TEMPORAL_ADDRESS'
      : profile.address !== undefined
        ? inProfile
        : defaults.origin;

  let tls: TemporalTls | false | undefined;
  if (profile.tls?.disabled) tls = false;
  else if (profile.tls) {
    tls = {
      ...(profile.tls.serverName ? { serverName: profile.tls.serverName } : {}),
      serverCaCert: certificate(variables, 'SERVER_CA_CERT', inProfile, profile.tls.serverCACert),
      clientCert: certificate(variables, 'CLIENT_CERT', inProfile, profile.tls.clientCert),
      clientKey: certificate(variables, 'CLIENT_KEY', inProfile, profile.tls.clientKey),
    };
    // Either alone would connect without the client certificate, and the server would refuse it for a reason nobody sees.
    if (Boolean(tls.clientCert) !== Boolean(tls.clientKey)) {
      const given = tls.clientCert ?? tls.clientKey!;
      throw new Error(
        `${given.origin} gives a TLS client ${tls.clientCert ? 'certificate' : 'key'} without its ` +
          `${tls.clientCert ? 'key' : 'certificate'} (set both, for mTLS)`,
      );
    }
  } else if (profile.apiKey !== undefined) tls = {}; // an API key goes over TLS only (Temporal Cloud)

  return {
    address: daybreakAddress ?? profile.address ?? defaults.address,
    namespace: daybreakNamespace ?? profile.namespace ?? defaults.namespace,
    ...(tls !== undefined ? { tls } : {}),
    ...(profile.apiKey !== undefined ? { apiKey: profile.apiKey } : {}),
    ...(profile.grpcMeta && Object.keys(profile.grpcMeta).length ? { metadata: profile.grpcMeta } : {}),
    origin,
  };
}

function readCertificate(source: CertificateSource | undefined, what: string): Uint8Array | undefined {
  if (!source) return undefined;
  if (source.data) return source.data;
  try {
    return readFileSync(source.path!);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      `the TLS ${what} ${source.path} (${source.origin}): ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? String(error)})`}`,
    );
  }
}

/** What both kinds of connection (the client's and the worker's native one) are given. */
export interface ConnectOptions {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
  metadata?: Record<string, string>;
}

/** The options to connect with, certificates read from their files now. */
export function connectOptions(connection: TemporalConnection): ConnectOptions {
  const options: ConnectOptions = { address: connection.address };
  if (connection.tls === false) options.tls = false;
  else if (connection.tls) {
    const t = connection.tls;
    const crt = readCertificate(t.clientCert, 'client certificate');
    const key = readCertificate(t.clientKey, 'client key');
    options.tls = {
      ...(t.serverName ? { serverNameOverride: t.serverName } : {}),
      ...(t.serverCaCert ? { serverRootCACertificate: readCertificate(t.serverCaCert, 'server CA certificate') } : {}),
      ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    };
  }
  if (connection.apiKey !== undefined) options.apiKey = connection.apiKey;
  if (connection.metadata) options.metadata = { ...connection.metadata };
  return options;
}

/** Where the address came from and how it is secured, for a message: never the key, nor any certificate. */
export function describeConnection(connection: TemporalConnection): string {
  const parts = [`from ${connection.origin ?? 'the configuration'}`];
  if (connection.tls) parts.push(connection.tls.clientCert ? 'mTLS' : 'TLS');
  if (connection.apiKey !== undefined) parts.push('API key');
  return parts.join(', ');
}
