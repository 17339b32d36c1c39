import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../../src/workers/config';
import { connectOptions, describeConnection } from '../../../src/workers/temporal-connection';

/**
 * Connection profiles as the Temporal ecosystem writes them (`temporal config`, the SDKs' envconfig):
 * the same build reaches the local stack, a self-hosted cluster with mTLS or Temporal Cloud, and
 * DAYBREAK_TEMPORAL_ADDRESS / DAYBREAK_TEMPORAL_NAMESPACE still win (the tests isolate through them).
 */

const dir = mkdtempSync(path.join(tmpdir(), 'daybreak-profiles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Not real certificates: these tests see what is read and passed on, not a handshake (see the integration test).
const CA = '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n';
const CRT = '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nsecret-key-material\n-----END PRIVATE KEY-----\n';
const API_KEY = 'cloud-api-key-do-not-print';

function file(name: string, text: string): string {
  const full = path.join(dir, name);
  writeFileSync(full, text);
  return full;
}

const caPath = file('ca.pem', CA);
const crtPath = file('client.pem', CRT);
const keyPath = file('client.key', KEY);

const PROFILES = file(
  'temporal.toml',
  `[profile.default]
address = "127.0.0.1:7233"
namespace = "default"

[profile.selfhosted]
address = "temporal-frontend.temporal.svc:7233"
namespace = "daybreak-prod"
[profile.selfhosted.tls]
server_name = "temporal-frontend"
server_ca_cert_path = "${caPath}"
client_cert_path = "${crtPath}"
client_key_path = "${keyPath}"

[profile.cloud]
address = "daybreak-prod.a1b2c.tmprl.cloud:7233"
namespace = "daybreak-prod.a1b2c"
api_key = "${API_KEY}"
[profile.cloud.grpc_meta]
X_Team = "metrics"
`,
);

const text = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** The message of what `fn` throws. */
function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

describe('Temporal connection profiles', () => {
  it('take the self-hosted mTLS profile TEMPORAL_PROFILE names: address, namespace, CA, client certificate and key', () => {
    const t = readConfig({ TEMPORAL_CONFIG_FILE: PROFILES, TEMPORAL_PROFILE: 'selfhosted' }).temporal;
    expect(t.address).toBe('temporal-frontend.temporal.svc:7233');
    expect(t.namespace).toBe('daybreak-prod');
    expect(t.apiKey).toBeUndefined();
    expect(t.origin).toBe(`profile "selfhosted" of ${PROFILES}`);
    const options = connectOptions(t);
    expect(options.address).toBe('temporal-frontend.temporal.svc:7233');
    const tls = options.tls as Exclude<typeof options.tls, boolean | undefined>;
    expect(tls.serverNameOverride).toBe('temporal-frontend');
    expect(text(tls.serverRootCACertificate)).toBe(CA);
    expect(text(tls.clientCertPair?.crt)).toBe(CRT);
    expect(text(tls.clientCertPair?.key)).toBe(KEY);
    expect(describeConnection(t)).toBe(`from profile "selfhosted" of ${PROFILES}, mTLS`);
  });

  it('take the Temporal Cloud profile: an API key over TLS with the system roots, and its gRPC headers', () => {
    const t = readConfig({ TEMPORAL_CONFIG_FILE: PROFILES, TEMPORAL_PROFILE: 'cloud' }).temporal;
    expect(t.address).toBe('daybreak-prod.a1b2c.tmprl.cloud:7233');
    expect(t.namespace).toBe('daybreak-prod.a1b2c');
    const options = connectOptions(t);
    expect(options.apiKey).toBe(API_KEY);
    expect(options.tls).toEqual({});
    expect(options.metadata).toEqual({ 'x-team': 'metrics' });
    expect(describeConnection(t)).not.toContain(API_KEY);
    expect(describeConnection(t)).toContain('TLS, API key');
  });

  it('take the default profile when none is named, and nothing from the file when it has none', () => {
    const t = readConfig({ TEMPORAL_CONFIG_FILE: PROFILES }).temporal;
    expect([t.address, t.namespace, t.tls]).toEqual(['127.0.0.1:7233', 'default', undefined]);
    const noDefault = file('no-default.toml', '[profile.other]\naddress = "elsewhere:7233"\n');
    expect(readConfig({ TEMPORAL_CONFIG_FILE: noDefault, DAYBREAK_TEMPORAL_PORT: '17233' }).temporal.address).toBe(
      '127.0.0.1:17233',
    );
  });

  it('are overridden by TEMPORAL_* variables, and DAYBREAK_TEMPORAL_ADDRESS / _NAMESPACE win over both', () => {
    const base = { TEMPORAL_CONFIG_FILE: PROFILES, TEMPORAL_PROFILE: 'selfhosted' };
    const byTemporal = readConfig({ ...base, TEMPORAL_ADDRESS: 'other:7233', TEMPORAL_NAMESPACE: 'other-ns' }).temporal;
    expect([byTemporal.address, byTemporal.namespace, byTemporal.origin]).toEqual([
      'other:7233',
      'other-ns',
      'TEMPORAL_ADDRESS',
    ]);
    const byDaybreak = readConfig({
      ...base,
      TEMPORAL_ADDRESS: 'other:7233',
      TEMPORAL_NAMESPACE: 'other-ns',
      DAYBREAK_TEMPORAL_ADDRESS: '127.0.0.1:7999',
      DAYBREAK_TEMPORAL_NAMESPACE: 'test-run-ns',
    }).temporal;
    expect([byDaybreak.address, byDaybreak.namespace, byDaybreak.origin]).toEqual([
      '127.0.0.1:7999',
      'test-run-ns',
      'DAYBREAK_TEMPORAL_ADDRESS',
    ]);
    // The profile's TLS stays: DAYBREAK_* names where to connect, not how.
    expect(byDaybreak.tls && byDaybreak.tls.clientCert?.path).toBe(crtPath);
    const override = readConfig({ ...base, TEMPORAL_TLS_CLIENT_CERT_PATH: caPath }).temporal;
    expect(override.tls && override.tls.clientCert).toEqual({ origin: 'TEMPORAL_TLS_CLIENT_CERT_PATH', path: caPath });
  });

  it("keep today's defaults without a profile: 127.0.0.1:$DAYBREAK_TEMPORAL_PORT, namespace default, plaintext", () => {
    const t = readConfig({ DAYBREAK_TEMPORAL_PORT: '17233' }).temporal;
    expect(t).toMatchObject({ address: '127.0.0.1:17233', namespace: 'default' });
    expect(t.tls).toBeUndefined();
    expect(connectOptions(t)).toEqual({ address: '127.0.0.1:17233' });
  });

  it('come from variables alone without a file: TLS with an inline CA, the API key, headers', () => {
    const t = readConfig({
      TEMPORAL_ADDRESS: 'cloud:7233',
      TEMPORAL_API_KEY: API_KEY,
      TEMPORAL_TLS_SERVER_CA_CERT_DATA: CA,
      TEMPORAL_GRPC_META_X_TEAM: 'metrics',
    }).temporal;
    const options = connectOptions(t);
    expect(options.address).toBe('cloud:7233');
    expect(options.apiKey).toBe(API_KEY);
    expect(text((options.tls as { serverRootCACertificate?: Uint8Array }).serverRootCACertificate)).toBe(CA);
    expect(options.metadata).toEqual({ 'x-team': 'metrics' });
    // TEMPORAL_TLS=false turns TLS off even with an API key (a plaintext proxy that adds TLS itself).
    expect(connectOptions(readConfig({ TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS: 'false' }).temporal).tls).toBe(false);
  });

  it('are looked for where the ecosystem keeps them: $XDG_CONFIG_HOME, else ~/.config, temporalio/temporal.toml', () => {
    const home = path.join(dir, 'home');
    mkdirSync(path.join(home, '.config', 'temporalio'), { recursive: true });
    writeFileSync(
      path.join(home, '.config', 'temporalio', 'temporal.toml'),
      '[profile.default]\naddress = "from-home:7233"\n',
    );
    expect(readConfig({ HOME: home }).temporal.address).toBe('from-home:7233');
    // Absent there: no profile, no error.
    expect(readConfig({ HOME: dir }).temporal.address).toBe('127.0.0.1:7233');
    expect(readConfig({ HOME: dir, XDG_CONFIG_HOME: path.join(home, '.config') }).temporal.address).toBe(
      'from-home:7233',
    );
  });

  it('are read through the environment object given, never process.env behind it', () => {
    const read = new Set<string>();
    const target: NodeJS.ProcessEnv = { TEMPORAL_CONFIG_FILE: PROFILES, TEMPORAL_PROFILE: 'cloud' };
    const env = new Proxy(target, {
      get(target, name) {
        if (typeof name === 'string') read.add(name);
        return target[name as string];
      },
    });
    const saved = process.env.TEMPORAL_ADDRESS;
    process.env.TEMPORAL_ADDRESS = 'from-process-env:7233';
    try {
      expect(readConfig(env).temporal.address).toBe('daybreak-prod.a1b2c.tmprl.cloud:7233');
    } finally {
      if (saved === undefined) delete process.env.TEMPORAL_ADDRESS;
      else process.env.TEMPORAL_ADDRESS = saved;
    }
    expect([...read].filter((n) => n.startsWith('TEMPORAL_')).sort()).toEqual(
      [
        'TEMPORAL_ADDRESS',
        'TEMPORAL_API_KEY',
        'TEMPORAL_CONFIG_FILE',
        'TEMPORAL_NAMESPACE',
        'TEMPORAL_PROFILE',
        'TEMPORAL_TLS',
        'TEMPORAL_TLS_CLIENT_CERT_DATA',
        'TEMPORAL_TLS_CLIENT_CERT_PATH',
        'TEMPORAL_TLS_CLIENT_KEY_DATA',
        'TEMPORAL_TLS_CLIENT_KEY_PATH',
        'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
        'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
        'TEMPORAL_TLS_SERVER_NAME',
      ].sort(),
    );
  });
});

describe('a wrong connection profile', () => {
  it('is a missing file: the error names TEMPORAL_CONFIG_FILE and the path', () => {
    const missing = path.join(dir, 'absent.toml');
    expect(thrown(() => readConfig({ TEMPORAL_CONFIG_FILE: missing }))).toBe(
      `TEMPORAL_CONFIG_FILE=${missing}: no such file`,
    );
  });

  it('is a profile the file does not have: the error names it, the file and the profiles it has', () => {
    expect(thrown(() => readConfig({ TEMPORAL_CONFIG_FILE: PROFILES, TEMPORAL_PROFILE: 'prod' }))).toBe(
      `TEMPORAL_PROFILE=prod: no profile "prod" in ${PROFILES} (it has default, selfhosted, cloud)`,
    );
    expect(thrown(() => readConfig({ TEMPORAL_PROFILE: 'prod', HOME: dir }))).toContain(
      'TEMPORAL_PROFILE=prod names a profile, but there is no profile file',
    );
  });

  it('is a misspelt key: the error names the file, the profile and the key', () => {
    const typo = file('typo.toml', `[profile.selfhosted.tls]\nclient_cert = "${crtPath}"\n`);
    expect(thrown(() => readConfig({ TEMPORAL_CONFIG_FILE: typo, TEMPORAL_PROFILE: 'selfhosted' }))).toBe(
      `the Temporal profile file ${typo} is not a valid profile file: ` +
        'Validation error: key(s) unrecognized in profile.selfhosted.tls: client_cert',
    );
  });

  it('is a TOML syntax error: the error gives line and column, never the line itself (it may hold the key)', () => {
    const broken = file('broken.toml', `[profile.cloud]\napi_key = "${API_KEY}" oops\n`);
    const message = thrown(() => readConfig({ TEMPORAL_CONFIG_FILE: broken }));
    expect(message).toContain(`the Temporal profile file ${broken} is not a valid profile file`);
    expect(message).toContain('(line 2, column');
    expect(message).not.toContain(API_KEY);
  });

  it('is a client certificate without its key: refused, naming the profile key that set it', () => {
    const half = file('half.toml', `[profile.p.tls]\nclient_cert_path = "${crtPath}"\n`);
    expect(thrown(() => readConfig({ TEMPORAL_CONFIG_FILE: half, TEMPORAL_PROFILE: 'p' }))).toBe(
      `tls.client_cert_path of profile "p" of ${half} gives a TLS client certificate without its key (set both, for mTLS)`,
    );
  });

  it('is a certificate file that is not there: the error names the file and what set it, and no key material', () => {
    const gone = path.join(dir, 'gone.key');
    const t = readConfig({ TEMPORAL_CONFIG_FILE: PROFILES, TEMPORAL_PROFILE: 'selfhosted' }).temporal;
    const broken = {
      ...t,
      tls: { ...(t.tls || {}), clientKey: { origin: 'TEMPORAL_TLS_CLIENT_KEY_PATH', path: gone } },
    };
    const message = thrown(() => connectOptions(broken));
    expect(message).toBe(`the TLS client key ${gone} (TEMPORAL_TLS_CLIENT_KEY_PATH): no such file`);
    const viaFile = readConfig({
      TEMPORAL_CONFIG_FILE: file(
        'gone.toml',
        `[profile.p.tls]\nclient_cert_path = "${crtPath}"\nclient_key_path = "${gone}"\n`,
      ),
      TEMPORAL_PROFILE: 'p',
    }).temporal;
    expect(thrown(() => connectOptions(viaFile))).toContain(`(tls.client_key_path of profile "p" of`);
  });
});
