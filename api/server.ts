import type { AddressInfo, Socket } from 'node:net';
import type { Express } from 'express';

export interface RunningServer {
  url: string;
  /** Requests being answered right now. */
  inFlight(): number;
  /**
   * Stops accepting connections, lets requests in flight finish for up to `graceMs`, then cuts
   * off what is left (those clients see the connection drop; a command cut off this way may or
   * may not have been applied, and a retry with the same Idempotency-Key tells which).
   */
  close(graceMs?: number): Promise<void>;
}

/** Listens on host:port (0 = any free port) and closes gracefully, with a deadline. */
export function listen(app: Express, port: number, host = '0.0.0.0'): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    let active = 0;
    const idleWaiters: Array<() => void> = [];
    const sockets = new Set<Socket>();
    const server = app.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
      resolve({
        url: `http://${shownHost}:${address.port}`,
        inFlight: () => active,
        close: async (graceMs = 10_000) => {
          const closed = new Promise<void>((done) => server.close(() => done()));
          server.closeIdleConnections();
          if (active > 0) {
            let timer: NodeJS.Timeout | undefined;
            await Promise.race([
              new Promise<void>((done) => idleWaiters.push(done)),
              new Promise<void>((done) => (timer = setTimeout(done, graceMs))),
            ]);
            clearTimeout(timer);
          }
          server.closeAllConnections();
          for (const socket of sockets) socket.destroy();
          await closed;
        },
      });
    });
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    server.on('request', (_req, res) => {
      active++;
      res.once('close', () => {
        active--;
        if (active === 0) for (const done of idleWaiters.splice(0)) done();
      });
    });
    server.once('error', reject);
  });
}
