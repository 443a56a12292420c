import type { Socket } from 'node:net';
import { WebSocket, type WebSocketServer } from 'ws';

/**
 * Messages held back per flush: enough to save most system calls, few enough that a long
 * fan-out (a thousand subscriptions resolved in one tick) leaves in a stream of small batches
 * the next hop can work on at once, not in one burst at the end of the tick.
 */
const MESSAGES_PER_FLUSH = 64;

/** ws's internals this relies on (ws 8, pinned in the catalog): the TCP socket and the frame sender. */
interface WsInternals {
  _socket?: Socket;
  _sender?: { _state: number; _queue: unknown[] };
  _extensions?: Record<string, unknown>;
}

type SendCallback = (error?: Error) => void;

/**
 * Text messages held for one client, framed together into one buffer and one write when the
 * batch is flushed. Server-to-client frames are unmasked and these are uncompressed, so a frame
 * is a 2-, 4- or 10-byte header and the UTF-8 text (RFC 6455 §5.2).
 */
class HeldFrames {
  private messages: string[] = [];
  private callbacks: Array<SendCallback | undefined> = [];

  constructor(private readonly write: (chunk: Buffer, callback?: SendCallback) => boolean) {}

  get size(): number {
    return this.messages.length;
  }

  hold(message: string, callback: SendCallback | undefined) {
    this.messages.push(message);
    this.callbacks.push(callback);
  }

  flush() {
    const { messages, callbacks } = this;
    if (messages.length === 0) return;
    this.messages = [];
    this.callbacks = [];
    const lengths = new Array<number>(messages.length);
    let total = 0;
    for (let i = 0; i < messages.length; i++) {
      const length = Buffer.byteLength(messages[i]!);
      lengths[i] = length;
      total += length + (length < 126 ? 2 : length < 65_536 ? 4 : 10);
    }
    const frames = Buffer.allocUnsafe(total);
    let offset = 0;
    for (let i = 0; i < messages.length; i++) {
      const length = lengths[i]!;
      frames[offset++] = 0x81; // FIN + text
      if (length < 126) {
        frames[offset++] = length;
      } else if (length < 65_536) {
        frames[offset++] = 126;
        frames.writeUInt16BE(length, offset);
        offset += 2;
      } else {
        frames[offset++] = 127;
        frames.writeUInt32BE(Math.floor(length / 2 ** 32), offset);
        frames.writeUInt32BE(length % 2 ** 32, offset + 4);
        offset += 8;
      }
      offset += frames.write(messages[i]!, offset, length, 'utf8');
    }
    this.write(frames, (error) => {
      for (const callback of callbacks) callback?.(error ?? undefined);
    });
  }
}

/**
 * Coalesces the text messages sent to this server's WebSockets into few writes: a subscription
 * event fanned out to many subscriptions then costs one system call per batch, and a message
 * costs its bytes in a shared buffer rather than ws's per-frame buffers, write requests and
 * stream bookkeeping (a quarter of the router's allocation per event at 1,000 streams).
 * Batches leave when MESSAGES_PER_FLUSH have been sent across the server's sockets, and at the
 * end of the tick at the latest, before any timer or I/O callback runs. Order is kept: anything
 * ws writes itself (control frames, binary or compressed messages) first flushes what is held.
 */
export function batchSendsPerTick(wsServer: WebSocketServer): void {
  // Connections with frames held, in an array reused across flushes: clearing a long-lived
  // Set allocates its new table straight in the old generation, which then fills with garbage
  // and brings on mark-compact pauses.
  const holding: Array<HeldFrames | undefined> = [];
  let holdingCount = 0;
  let held = 0;
  let flushScheduled = false;
  const flush = () => {
    held = 0;
    for (let i = 0; i < holdingCount; i++) {
      const frames = holding[i]!;
      holding[i] = undefined;
      frames.flush();
    }
    holdingCount = 0;
  };
  const flushAtTickEnd = () => {
    flushScheduled = false;
    flush();
  };

  wsServer.on('connection', (socket: WebSocket) => {
    const { _socket: tcp, _sender: sender, _extensions: extensions } = socket as unknown as WsInternals;
    // Compressed connections keep ws's own path: their frames are deflated asynchronously.
    if (!tcp || !sender || extensions?.['permessage-deflate']) return;
    const tcpWrite = tcp.write.bind(tcp) as (chunk: Buffer, callback?: SendCallback) => boolean;
    const frames = new HeldFrames(tcpWrite);
    tcp.write = ((...args: Parameters<Socket['write']>) => {
      frames.flush();
      return (tcpWrite as Socket['write'])(...args);
    }) as Socket['write'];

    const send = socket.send.bind(socket) as (...args: unknown[]) => void;
    socket.send = ((data: unknown, options?: unknown, callback?: SendCallback) => {
      if (typeof options === 'function') {
        callback = options as SendCallback;
        options = undefined;
      }
      // Only plain text to an open socket whose sender has nothing queued of its own.
      if (typeof data !== 'string' || options !== undefined || socket.readyState !== WebSocket.OPEN || sender._state !== 0 || sender._queue.length > 0) {
        send(data, ...(options === undefined ? [] : [options]), ...(callback ? [callback] : []));
        return;
      }
      if (frames.size === 0) holding[holdingCount++] = frames;
      frames.hold(data, callback);
      if (!flushScheduled) {
        flushScheduled = true;
        process.nextTick(flushAtTickEnd);
      }
      if (++held >= MESSAGES_PER_FLUSH) flush();
    }) as WebSocket['send'];
  });
}
