import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { batchSendsPerTick } from './index.js';

const servers: WebSocketServer[] = [];
const clients: WebSocket[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A batching server and a client connected to it; resolves with the server's side of the socket. */
async function connect(options: { perMessageDeflate?: boolean } = {}) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: options.perMessageDeflate ?? false });
  servers.push(server);
  batchSendsPerTick(server);
  await once(server, 'listening');
  const serverSide = once(server, 'connection') as Promise<[WebSocket]>;
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, { perMessageDeflate: options.perMessageDeflate ?? false });
  clients.push(client);
  const received: Array<{ text: string; binary: boolean }> = [];
  client.on('message', (data, isBinary) => received.push({ text: isBinary ? `<binary ${(data as Buffer).length}>` : data.toString(), binary: isBinary }));
  await once(client, 'open');
  const [socket] = await serverSide;
  return { socket, client, received };
}

async function until(condition: () => boolean) {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('batchSendsPerTick', () => {
  it('delivers every text message whole and in order, at each frame-length boundary and in UTF-8', async () => {
    const { socket, received } = await connect();
    // 125/126 and 65535/65536 bytes are where a frame's length field changes size.
    const texts = ['', 'a', 'x'.repeat(125), 'y'.repeat(126), 'z'.repeat(65_535), 'w'.repeat(65_536), 'v'.repeat(200_000), 'Grüße, 医生 👩‍⚕️'];
    // More messages than one batch holds, so batches also leave mid-tick.
    const many = Array.from({ length: 150 }, (_, i) => `{"n":${i}}`);
    for (const text of [...texts, ...many]) socket.send(text);
    await until(() => received.length === texts.length + many.length);
    expect(received.map((m) => m.text)).toEqual([...texts, ...many]);
  });

  it('calls each send callback once its message is written', async () => {
    const { socket, received } = await connect();
    const written: number[] = [];
    for (let i = 0; i < 100; i++) socket.send(`m${i}`, (error) => written.push(error ? -1 : i));
    await until(() => written.length === 100 && received.length === 100);
    expect(written).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('keeps held text ahead of what ws writes itself: binary messages, pings and the close frame', async () => {
    const { socket, client, received } = await connect();
    const pings: string[] = [];
    client.on('ping', (data) => pings.push(`${received.length}:${data.toString()}`));
    const closed = once(client, 'close');
    socket.send('first');
    socket.send(Buffer.from([1, 2, 3]));
    socket.send('second');
    socket.ping('p');
    socket.send('third');
    socket.close(4000, 'done');
    const [code] = await closed;
    expect(received.map((m) => m.text)).toEqual(['first', '<binary 3>', 'second', 'third']);
    // The ping arrived after the two messages sent before it.
    expect(pings).toEqual(['3:p']);
    expect(code).toBe(4000);
  });

  it('reports a failed write to the callback when the socket is gone before the batch leaves', async () => {
    const { socket } = await connect();
    const outcome = new Promise<Error | undefined>((resolve) => socket.send('lost', resolve));
    socket.terminate();
    expect(await outcome).toBeInstanceOf(Error);
  });

  it('leaves compressed connections to ws and still delivers their messages', async () => {
    const { socket, received } = await connect({ perMessageDeflate: true });
    const texts = Array.from({ length: 20 }, (_, i) => `compressible ${'a'.repeat(2_000)} ${i}`);
    for (const text of texts) socket.send(text);
    await until(() => received.length === texts.length);
    expect(received.map((m) => m.text)).toEqual(texts);
  });
});
