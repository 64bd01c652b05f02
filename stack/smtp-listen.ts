import type { AddressInfo } from 'node:net';
import type { SMTPServer } from 'smtp-server';

/** Starts an SMTP server listening and gives its port (a free one when 0). */
export async function listenSmtp(server: SMTPServer, host: string, port = 0): Promise<number> {
  // A client that drops its connection midway is its own problem, not a reason to crash the stack.
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  return (server.server.address() as AddressInfo).port;
}
