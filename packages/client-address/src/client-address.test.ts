import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { addressBytes, canonicalAddress, clientAddress, clientIp, parseAddressRange, parseTrustProxy, rangeContains, TRUST_NOTHING, type TrustProxy } from './index.js';

const inRange = (range: string, address: string) => rangeContains(parseAddressRange(range)!, addressBytes(address)!);

describe('CIDR matching', () => {
  it('matches IPv4 ranges on their prefix bits', () => {
    expect(inRange('10.0.0.0/8', '10.255.3.4')).toBe(true);
    expect(inRange('10.0.0.0/8', '11.0.0.1')).toBe(false);
    expect(inRange('192.168.4.0/22', '192.168.7.255')).toBe(true);
    expect(inRange('192.168.4.0/22', '192.168.8.0')).toBe(false);
    expect(inRange('203.0.113.7', '203.0.113.7')).toBe(true);
    expect(inRange('203.0.113.7', '203.0.113.8')).toBe(false);
    expect(inRange('0.0.0.0/0', '198.51.100.1')).toBe(true);
  });

  it('matches IPv6 ranges, compressed or not', () => {
    expect(inRange('fd00::/8', 'fd12:3456::1')).toBe(true);
    expect(inRange('fd00::/8', 'fe80::1')).toBe(false);
    expect(inRange('2001:db8::/32', '2001:0db8:0000:0000:0000:0000:0000:0001')).toBe(true);
    expect(inRange('2001:db8::/33', '2001:db8:8000::1')).toBe(false);
    expect(inRange('::1', '::1')).toBe(true);
    expect(inRange('::1', '::2')).toBe(false);
  });

  it('treats an IPv4 address and its IPv4-mapped IPv6 form as one address', () => {
    expect(inRange('127.0.0.0/8', '::ffff:127.0.0.1')).toBe(true);
    expect(inRange('::ffff:10.0.0.0/104', '10.1.2.3')).toBe(true);
    expect(inRange('::ffff:10.0.0.0/104', '11.1.2.3')).toBe(false);
    expect(inRange('10.0.0.0/8', '::ffff:a01:203')).toBe(true);
    // An IPv4 range never covers a plain IPv6 address.
    expect(inRange('0.0.0.0/0', '::1')).toBe(false);
  });

  it('refuses what is not an address or a range', () => {
    for (const bad of ['', 'localhost', '10.0.0.0/33', '::/129', '10.0.0.0/8/8', '10.0.0/8', '1.2.3.4/x', 'fe80::1%eth0']) {
      expect(parseAddressRange(bad), bad).toBeUndefined();
    }
  });
});

describe('TRUST_PROXY', () => {
  it('trusts nothing when empty, false or 0', () => {
    for (const value of [undefined, '', ' ', 'false', '0']) expect(parseTrustProxy(value)).toEqual(TRUST_NOTHING);
  });

  it('reads a hop count or a list of ranges', () => {
    expect(parseTrustProxy('2')).toEqual({ kind: 'hops', hops: 2 });
    const trust = parseTrustProxy('10.0.0.0/8, ::1');
    expect(trust.kind).toBe('ranges');
  });

  it('names the part it cannot read', () => {
    expect(() => parseTrustProxy('10.0.0.0/8,proxy.internal')).toThrow('"proxy.internal"');
    expect(() => parseTrustProxy('-1')).toThrow('"-1"');
  });
});

describe('the client address', () => {
  it('is the socket peer when nothing is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress('198.51.100.9', '203.0.113.1', TRUST_NOTHING)).toBe('198.51.100.9');
    expect(clientAddress('::ffff:198.51.100.9', '203.0.113.1, 10.0.0.1', TRUST_NOTHING)).toBe('198.51.100.9');
    expect(clientAddress(undefined, '203.0.113.1', TRUST_NOTHING)).toBeUndefined();
  });

  it('counts hops from the nearest proxy', () => {
    const oneHop = parseTrustProxy('1');
    // The client wrote the first entry; the proxy appended the address it saw.
    expect(clientAddress('10.0.0.2', 'spoofed-by-client, 203.0.113.5', oneHop)).toBe('203.0.113.5');
    expect(clientAddress('10.0.0.2', ['1.1.1.1, 203.0.113.5', '198.51.100.4'], oneHop)).toBe('198.51.100.4');
    expect(clientAddress('10.0.0.2', '1.1.1.1, 203.0.113.5, 10.0.0.3', parseTrustProxy('2'))).toBe('203.0.113.5');
    // More hops trusted than there are: the farthest one there is.
    expect(clientAddress('10.0.0.2', '203.0.113.5', parseTrustProxy('5'))).toBe('203.0.113.5');
    expect(clientAddress('10.0.0.2', undefined, oneHop)).toBe('10.0.0.2');
  });

  it('walks back through trusted ranges only', () => {
    const trust = parseTrustProxy('10.0.0.0/8,fd00::/8');
    expect(clientAddress('10.0.0.2', '1.1.1.1, 203.0.113.5, fd00::7', trust)).toBe('203.0.113.5');
    expect(clientAddress('::ffff:10.0.0.2', '203.0.113.5', trust)).toBe('203.0.113.5');
    // A peer outside the ranges is the client, whatever it claims.
    expect(clientAddress('198.51.100.9', '203.0.113.5', trust)).toBe('198.51.100.9');
    // Everything trusted: the farthest address.
    expect(clientAddress('10.0.0.2', '10.0.0.9', trust)).toBe('10.0.0.9');
  });

  it('stops at the last proxy when a hop is not an address', () => {
    const trust = parseTrustProxy('10.0.0.0/8');
    expect(clientAddress('10.0.0.2', '203.0.113.5, not-an-ip', trust)).toBe('10.0.0.2');
    expect(clientAddress('10.0.0.2', '<script>, 10.0.0.3', trust)).toBe('10.0.0.3');
  });

  it('writes IPv4-mapped addresses as IPv4', () => {
    expect(canonicalAddress('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(canonicalAddress('2001:db8::1')).toBe('2001:db8::1');
  });
});

describe('clientIp', () => {
  const servers: ReturnType<typeof createServer>[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) if (server.listening) await new Promise((resolve) => server.close(resolve));
  });

  async function addressSeen(trust: TrustProxy, forwardedFor: string) {
    const server = createServer((req, res) => res.end(JSON.stringify({ ip: clientIp(req, trust) })));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}`, { headers: { 'x-forwarded-for': forwardedFor } });
    return ((await response.json()) as { ip: string }).ip;
  }

  it('ignores a spoofed X-Forwarded-For unless the peer is a trusted proxy', async () => {
    expect(await addressSeen(TRUST_NOTHING, '203.0.113.9')).toBe('127.0.0.1');
    expect(await addressSeen(parseTrustProxy('10.0.0.0/8'), '203.0.113.9')).toBe('127.0.0.1');
    expect(await addressSeen(parseTrustProxy('127.0.0.1/32'), '198.51.100.1, 203.0.113.9')).toBe('203.0.113.9');
    expect(await addressSeen(parseTrustProxy('1'), '198.51.100.1, 203.0.113.9')).toBe('203.0.113.9');
  });
});
