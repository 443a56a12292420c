import type { Socket } from 'node:net';
import type { WebSocket, WebSocketServer } from 'ws';

/**
 * Messages held back per flush: enough to save most system calls, few enough that a long
 * fan-out (a thousand subscriptions resolved in one tick) leaves in a stream of small batches
 * the next hop can work on at once, not in one burst at the end of the tick.
 */
const MESSAGES_PER_FLUSH = 64;

/**
 * Coalesces messages sent to this server's WebSockets into few writes: a subscription event
 * fanned out to many subscriptions then costs one system call per batch, not one per message
 * (writev was a third of the router's busy time at 1,000 subscribers). Batches leave when
 * MESSAGES_PER_FLUSH have been sent across the server's sockets, and at the end of the tick at
 * the latest, in order and before any timer or I/O callback runs.
 */
export function batchSendsPerTick(wsServer: WebSocketServer): void {
  const corked = new Set<Socket>();
  let held = 0;
  let flushScheduled = false;
  const flush = () => {
    held = 0;
    for (const tcp of corked) tcp.uncork();
    corked.clear();
  };
  const flushAtTickEnd = () => {
    flushScheduled = false;
    flush();
  };

  wsServer.on('connection', (socket: WebSocket) => {
    // ws keeps its TCP socket in `_socket`; corking it holds ws's own frame writes until uncork.
    const tcp = (socket as unknown as { _socket?: Socket })._socket;
    if (!tcp) return;
    const send = socket.send.bind(socket) as (...args: unknown[]) => void;
    socket.send = ((...args: unknown[]) => {
      if (!corked.has(tcp)) {
        corked.add(tcp);
        tcp.cork();
      }
      if (!flushScheduled) {
        flushScheduled = true;
        process.nextTick(flushAtTickEnd);
      }
      send(...args);
      if (++held >= MESSAGES_PER_FLUSH) flush();
    }) as WebSocket['send'];
  });
}
