import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '@voiceassist/testkit/env';
import { startRedisServer, type TestRedisServer } from '@voiceassist/testkit/redis-server';
import { createSessionRevocations, httpRevocationSource, type Revocation, type SessionRevocations, type SessionRevocationsOptions } from './revocations.js';

const sharedRedisUrl = testEnv.REDIS_URL;
const feeds: Array<[string, () => string | undefined]> = [['in-process', () => undefined]];
if (sharedRedisUrl) feeds.push(['redis', () => sharedRedisUrl]);

const opened: SessionRevocations[] = [];
function open(options: SessionRevocationsOptions): SessionRevocations {
  const revocations = createSessionRevocations(options);
  opened.push(revocations);
  return revocations;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((r) => r.close()));
});

/**
 * Stands in for identity's route over real HTTP: the revocations the source of truth holds
 * (the test adds to it what identity would have written to PostgreSQL), or a failure.
 */
interface TruthServer {
  url: string;
  truth: Revocation[];
  failing: boolean;
  requests: number;
  close(): Promise<void>;
}

async function startTruthServer(): Promise<TruthServer> {
  const state = { truth: [] as Revocation[], failing: false, requests: 0 };
  const server: Server = createServer((req, res) => {
    state.requests++;
    if (state.failing) {
      res.writeHead(503).end();
      return;
    }
    const since = new URL(req.url ?? '/', 'http://truth').searchParams.get('since');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ asOf: Date.now(), revocations: since === null ? state.truth : state.truth.filter((r) => r.keepUntil - 3_600_000 >= Number(since)) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/revocations`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

const keptAnHour = (sessionId: string): Revocation => ({ sessionId, keepUntil: Date.now() + 3_600_000 });

describe.each(feeds)('revocations over the %s feed', (_name, redisUrl) => {
  it('reach every instance of the namespace at once, once per session, and expire with the token lifetime', async () => {
    const namespace = randomUUID();
    const identity = open({ redisUrl: redisUrl(), namespace });
    const router = open({ redisUrl: redisUrl(), namespace });
    const elsewhere = open({ redisUrl: redisUrl(), namespace: randomUUID() });
    const heard: string[] = [];
    router.onRevoked((sid) => heard.push(sid));
    await expect.poll(() => router.status().feedConnected && identity.status().feedConnected).toBe(true);
    await identity.revoke('s1', 1);
    await identity.revoke('s1', 1);
    expect(identity.isRevoked('s1')).toBe(true);
    await expect.poll(() => router.isRevoked('s1')).toBe(true);
    expect(router.isRevoked('s2')).toBe(false);
    expect(elsewhere.isRevoked('s1')).toBe(false);
    expect(heard).toEqual(['s1']);
    await new Promise((r) => setTimeout(r, 1100));
    expect(router.isRevoked('s1')).toBe(false);
  });
});

describe('syncing from the source of truth', () => {
  let truth: TruthServer;
  beforeAll(async () => {
    truth = await startTruthServer();
  });
  afterAll(() => truth.close());
  afterEach(() => {
    truth.truth = [];
    truth.failing = false;
  });

  it('is not synced, and says so, until the source answers; it keeps retrying meanwhile', async () => {
    truth.failing = true;
    truth.truth = [keptAnHour('before-start')];
    const set = open({ namespace: randomUUID(), sync: { source: httpRevocationSource(truth.url), intervalMs: 60_000, retryMs: 50 } });
    expect(await set.whenSynced(300)).toBe(false);
    expect(set.status()).toMatchObject({ synced: false, syncFailing: true });
    await expect(set.checkSynced()).rejects.toThrow();
    truth.failing = false;
    expect(await set.whenSynced(5_000)).toBe(true);
    expect(set.isRevoked('before-start')).toBe(true);
    await expect(set.checkSynced()).resolves.toBeUndefined();
  });

  it('learns periodically what pub/sub never delivered, and tells listeners', async () => {
    const set = open({ namespace: randomUUID(), sync: { source: httpRevocationSource(truth.url), intervalMs: 100 } });
    expect(await set.whenSynced(5_000)).toBe(true);
    const heard: string[] = [];
    set.onRevoked((sid) => heard.push(sid));
    truth.truth = [keptAnHour('missed')];
    await expect.poll(() => set.isRevoked('missed')).toBe(true);
    expect(heard).toEqual(['missed']);
  });

  it('keeps what it knows through a failing source', async () => {
    truth.truth = [keptAnHour('known')];
    const set = open({ namespace: randomUUID(), sync: { source: httpRevocationSource(truth.url), intervalMs: 50 } });
    expect(await set.whenSynced(5_000)).toBe(true);
    truth.failing = true;
    const requests = truth.requests;
    await expect.poll(() => truth.requests).toBeGreaterThan(requests + 1);
    expect(set.isRevoked('known')).toBe(true);
    expect(set.status()).toMatchObject({ synced: true, syncFailing: true });
  });
});

describe('with a Redis that is flushed, killed and restarted', () => {
  let redis: TestRedisServer;
  let truth: TruthServer;
  beforeAll(async () => {
    [redis, truth] = await Promise.all([startRedisServer(), startTruthServer()]);
  });
  afterAll(async () => {
    await Promise.all([redis.stop(), truth.close()]);
  });

  /** One identity and one verifier instance; the verifier syncs rarely, so only reconnects and pub/sub tell it anything. */
  async function pair() {
    const namespace = randomUUID();
    const logged: string[] = [];
    const logger = { info: (_details: object, message: string) => logged.push(message), warn: (_details: object, message: string) => logged.push(message) };
    const identity = open({ redisUrl: redis.url, namespace, logger });
    const verifier = open({ redisUrl: redis.url, namespace, logger, sync: { source: httpRevocationSource(truth.url), intervalMs: 600_000 } });
    expect(await verifier.whenSynced(5_000)).toBe(true);
    await expect.poll(() => identity.status().feedConnected && verifier.status().feedConnected).toBe(true);
    /** What identity does: PostgreSQL first, then publish. */
    const revoke = async (sessionId: string) => {
      truth.truth.push(keptAnHour(sessionId));
      await identity.revoke(sessionId, 3600);
    };
    return { identity, verifier, revoke, logged };
  }

  it('never un-revokes a session when Redis loses its data', async () => {
    const { verifier, revoke } = await pair();
    await revoke('flushed');
    await expect.poll(() => verifier.isRevoked('flushed')).toBe(true);
    await redis.flush();
    expect(verifier.isRevoked('flushed')).toBe(true);
    // An instance starting after the flush learns it from the source of truth.
    const late = open({ redisUrl: redis.url, namespace: randomUUID(), sync: { source: httpRevocationSource(truth.url), intervalMs: 600_000 } });
    expect(await late.whenSynced(5_000)).toBe(true);
    expect(late.isRevoked('flushed')).toBe(true);
  });

  it('answers from memory while Redis is down, revokes without throwing, and learns what it missed once Redis is back', async () => {
    const { identity, verifier, revoke, logged } = await pair();
    await revoke('before-outage');
    await expect.poll(() => verifier.isRevoked('before-outage')).toBe(true);
    const heard: string[] = [];
    verifier.onRevoked((sid) => heard.push(sid));

    await redis.kill();
    await expect.poll(() => verifier.status().feedConnected).toBe(false);
    expect(verifier.isRevoked('before-outage')).toBe(true);
    expect(verifier.isRevoked('never-revoked')).toBe(false);
    const started = Date.now();
    await revoke('during-outage');
    expect(Date.now() - started).toBeLessThan(500);
    expect(identity.isRevoked('during-outage')).toBe(true);
    expect(verifier.isRevoked('during-outage')).toBe(false);
    await revoke('during-outage-too');

    await redis.start();
    // The feed reconnects and resyncs: the revocation published into the void is learnt,
    // and live subscriptions of that session hear of it.
    await expect.poll(() => verifier.isRevoked('during-outage'), { timeout: 10_000 }).toBe(true);
    expect(heard.sort()).toEqual(['during-outage', 'during-outage-too']);
    await expect.poll(() => identity.status().feedConnected && verifier.status().feedConnected, { timeout: 10_000 }).toBe(true);
    await revoke('after-outage');
    await expect.poll(() => verifier.isRevoked('after-outage')).toBe(true);
    // One line per transition, not one per revocation or per reconnect attempt.
    const count = (message: string) => logged.filter((line) => line === message).length;
    expect(count('revocation feed lost; checking revocations from memory and resyncing from identity')).toBe(2);
    expect(count('revocations cannot be published; other instances learn them at their next sync')).toBe(1);
    expect(count('revocations are published again')).toBe(1);
  });
});
