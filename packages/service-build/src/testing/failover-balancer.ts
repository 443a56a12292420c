import { connect, createServer, type Socket } from 'node:net';

// A TCP load balancer in front of replicas, as a Kubernetes Service or HAProxy with a primary and
// a backup would be: each new connection goes to the first replica that accepts it, so while the
// primary lives it holds every request (and the test knows which replica runs a reply), and once
// it is gone new connections, HTTP and WebSocket alike, reach the next one. A connection whose
// replica dies is closed, as the client would see it behind a real balancer.

export interface FailoverBalancer {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  close(): Promise<void>;
}

function connectFirst(ports: readonly number[], onConnected: (upstream: Socket) => void, onNone: () => void, from = 0): void {
  if (from >= ports.length) return onNone();
  const upstream = connect(ports[from]!, '127.0.0.1');
  const tryNext = () => connectFirst(ports, onConnected, onNone, from + 1);
  upstream.once('error', tryNext);
  upstream.once('connect', () => {
    upstream.off('error', tryNext);
    onConnected(upstream);
  });
}

/** Listens on a free port of loopback, in front of the replicas listening on `replicaPorts` (in order of preference). */
export async function startFailoverBalancer(replicaPorts: readonly number[]): Promise<FailoverBalancer> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    connectFirst(
      replicaPorts,
      (upstream) => {
        sockets.add(upstream);
        upstream.on('close', () => {
          sockets.delete(upstream);
          client.destroy();
        });
        upstream.on('error', () => upstream.destroy());
        client.on('close', () => upstream.destroy());
        if (client.destroyed) return upstream.destroy();
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      },
      () => client.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
