import * as net from 'node:net';

/**
 * A TCP proxy a test owns, between a client under test and one of the shared servers, so that a
 * test can make that server unreachable for its own clients without stopping it (other tests use
 * it at the same time). `down()` closes the listener and destroys every open connection, so the
 * clients see exactly what a stopped server gives them (connection refused, a reset mid-request);
 * `up()` listens again on the same port.
 */
export interface TcpProxy {
  /** 127.0.0.1:<port>, the address clients are given. */
  readonly address: string;
  readonly port: number;
  readonly isUp: boolean;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export interface TcpProxyTarget {
  host: string;
  port: number;
}

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    server.once('error', failed);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      server.off('error', failed);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** Pipes two sockets into each other; either side failing or closing ends both, as a dying server would. */
export function splice(client: net.Socket, upstream: net.Socket): void {
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.once('close', () => upstream.destroy());
  upstream.once('close', () => client.destroy());
  client.pipe(upstream);
  upstream.pipe(client);
}

/** Starts a proxy to `target` on a free port of 127.0.0.1 (or `port`), up. */
export async function startTcpProxy(target: TcpProxyTarget, port = 0): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const newServer = () =>
    net.createServer((client) => {
      track(client);
      const upstream = net.connect({ host: target.host, port: target.port });
      track(upstream);
      splice(client, upstream);
    });

  let server: net.Server | undefined = newServer();
  const boundPort = await listen(server, port);

  const down = async () => {
    const current = server;
    if (!current) return;
    server = undefined;
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  return {
    address: `127.0.0.1:${boundPort}`,
    port: boundPort,
    get isUp() {
      return server !== undefined;
    },
    down,
    async up() {
      if (server) return;
      const next = newServer();
      await listen(next, boundPort);
      server = next;
    },
    close: down,
  };
}

/** host and port of a URL such as http://127.0.0.1:7070. */
export function targetOf(url: string): TcpProxyTarget {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80)) };
}
