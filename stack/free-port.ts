import { connect, createServer, type Server } from 'node:net';

/**
 * Free TCP ports on `host`, all different, found by listening on port 0.
 *
 * Each port is also put in TIME_WAIT (connect, then close from the listening side first), the
 * same trick the Temporal CLI uses for its own internal ports: on Linux, where bind(0) picks
 * ports at random, this keeps the OS from handing the same port to the next caller (another
 * dev server starting in a parallel test) before our child has bound it, while our child,
 * which binds with SO_REUSEADDR, can still take it.
 */
export async function freePorts(host: string, count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    // All listeners stay open until every port is known, so no two of them can be the same.
    for (let i = 0; i < count; i++) servers.push(await listenOnAnyPort(host));
    const ports = servers.map(portOf);
    await Promise.all(servers.map((server) => parkInTimeWait(server, host)));
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  }
}

function listenOnAnyPort(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('a TCP listener has no port');
  return address.port;
}

function parkInTimeWait(server: Server, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('connection', (accepted) => {
      // The side that closes first is the one left in TIME_WAIT: it must be ours.
      accepted.destroy();
      client.end();
      client.once('close', () => resolve());
    });
    const client = connect(portOf(server), host);
    client.once('error', reject);
  });
}

/** The port if nothing listens on it now (so a restart can keep the addresses it gave out), else 0: any free one. */
export function portIfFree(host: string, port: number): Promise<number> {
  if (port === 0) return Promise.resolve(0);
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(0));
    server.listen(port, host, () => server.close(() => resolve(port)));
  });
}
