import { describe, expect, it } from 'vitest';
import { acceptsConnections as accepts, startRedisServer } from './redis-server.js';

describe('startRedisServer', () => {
  it('leaves nothing running after stop, even when start was called on a running server', async () => {
    const server = await startRedisServer();
    await server.start();
    await server.stop();
    expect(await accepts(server.port)).toBe(false);
  });

  it('comes back on the same port after a kill', async () => {
    const server = await startRedisServer();
    await server.kill();
    expect(await accepts(server.port)).toBe(false);
    await server.start();
    expect(await accepts(server.port)).toBe(true);
    await server.stop();
  });
});
