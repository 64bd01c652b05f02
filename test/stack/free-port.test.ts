import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePorts } from '../../stack/free-port';

describe('freePorts', () => {
  it('gives different ports that can be listened on at once', async () => {
    const ports = await freePorts('127.0.0.1', 4);
    expect(new Set(ports).size).toBe(4);
    const servers = await Promise.all(
      ports.map(
        (port) =>
          new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
            const server = createServer();
            server.once('error', reject);
            server.listen(port, '127.0.0.1', () => resolve(server));
          }),
      ),
    );
    await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  });
});
