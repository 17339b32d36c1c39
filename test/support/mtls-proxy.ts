import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { splice } from './tcp-proxy';

/**
 * mTLS in front of a Temporal frontend, for connection-profile tests. `temporal server start-dev`
 * has no TLS flags (CLI 1.9.1), so a test puts this proxy before the shared dev server: it holds a
 * server certificate for `serverName`, demands a client certificate signed by the test's CA (a
 * client without one is refused in the handshake, as a frontend with `requireClientAuth` refuses
 * it), and passes the decrypted HTTP/2 stream on to the plaintext server.
 */

export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA, a server certificate for `serverName` only, and a client certificate (CN `clientName`), made by openssl in `dir`. */
export function makeTestPki(dir: string, serverName: string, clientName = 'daybreak-worker'): TestPki {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=daybreak-test-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const leaf = (name: string, cn: string, extensions: string) => {
    writeFileSync(
      path.join(dir, `${name}.ext`),
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n${extensions}\n`,
    );
    openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      `${name}.pem`,
      '-extfile',
      `${name}.ext`,
    ]);
  };
  leaf('server', serverName, `extendedKeyUsage=serverAuth\nsubjectAltName=DNS:${serverName}`);
  leaf('client', clientName, 'extendedKeyUsage=clientAuth');
  const at = (f: string) => path.join(dir, f);
  return {
    dir,
    caCert: at('ca.pem'),
    serverCert: at('server.pem'),
    serverKey: at('server.key'),
    clientCert: at('client.pem'),
    clientKey: at('client.key'),
  };
}

export interface MtlsProxy {
  /** 127.0.0.1:<port> */
  readonly address: string;
  /** Common names of the client certificates of the handshakes that succeeded, in order. */
  readonly accepted: string[];
  /** Handshakes refused (no client certificate, or one the CA did not sign), with the reason. */
  readonly refused: string[];
  close(): Promise<void>;
}

export async function startMtlsProxy(pki: TestPki, target: { host: string; port: number }): Promise<MtlsProxy> {
  const accepted: string[] = [];
  const refused: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    {
      key: readFileSync(pki.serverKey),
      cert: readFileSync(pki.serverCert),
      ca: readFileSync(pki.caCert),
      requestCert: true,
      rejectUnauthorized: true,
      // gRPC clients (grpc-js, and tonic in the worker's core) insist on HTTP/2 being negotiated.
      ALPNProtocols: ['h2'],
    },
    (client) => {
      const peer = client.getPeerCertificate();
      accepted.push(typeof peer.subject?.CN === 'string' ? peer.subject.CN : '?');
      const upstream = net.connect(target);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.once('close', () => sockets.delete(s));
      }
      splice(client, upstream);
    },
  );
  server.on('tlsClientError', (error) => refused.push(error.message));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    accepted,
    refused,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
