import { createServer } from 'node:net';

/**
 * A TCP port that was free on `host` a moment ago: the OS picks it, we close it again. Another
 * process may take it before the caller binds it, which on loopback in tests does not happen.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
