import * as net from 'node:net';
import { readConfig } from '../../src/workers/config';

function reachable(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port) });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Integration tests need the real servers. When one is down the whole run fails here, loudly and
 * once, with the command that starts them; nothing is skipped.
 */
export default async function requireStack(): Promise<void> {
  const config = readConfig();
  const servers: [string, URL][] = [
    ['Temporal', new URL(`http://${config.temporal.address}`)],
    ['S3 (versitygw)', new URL(config.s3.endpoint)],
    ['Elasticsearch', new URL(config.elasticsearch.url)],
  ];
  const down: string[] = [];
  for (const [name, url] of servers) if (!(await reachable(url))) down.push(`${name} at ${url.host}`);
  if (down.length) {
    throw new Error(
      `Integration tests need the local stack, but these servers are not reachable: ${down.join(', ')}.\n` +
        'Start the local stack first: `npm run stack:up` (or run everything with `npm test`).',
    );
  }
}
