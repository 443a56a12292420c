// A child process of subscriptions.bench.ts: a TCP relay in the router's place, forwarding
// bytes between the clients and the subgraph with no WebSocket or GraphQL work. What it adds
// over direct is the cost of the extra process hop itself on this machine, the floor under
// any router's added latency.
import { createConnection, createServer } from 'node:net';
import { serveBenchProcess } from '@voiceassist/benchmarks';

serveBenchProcess({
  /** Listens on a free port and relays every connection to `target` (a ws:// URL); returns the relay's ws:// URL. */
  async startRelay({ target }: { target: string }) {
    const { hostname, port, pathname } = new URL(target);
    const server = createServer((client) => {
      const upstream = createConnection({ host: hostname, port: Number(port) });
      for (const socket of [client, upstream]) {
        socket.setNoDelay(true);
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    return `ws://127.0.0.1:${address.port}${pathname}`;
  },
});
