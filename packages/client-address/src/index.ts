import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * Which proxies in front of a service may say who the client is (TRUST_PROXY): none (the
 * socket's peer is the client), the nearest `hops` proxies whatever their address, or proxies
 * whose address is in one of `ranges`.
 */
export type TrustProxy =
  | { kind: 'none' }
  | { kind: 'hops'; hops: number }
  | { kind: 'ranges'; ranges: readonly AddressRange[]; source: string };

/** An address as 16 bytes (IPv4 as IPv4-mapped IPv6) and a CIDR range over that space. */
export interface AddressRange {
  bytes: Uint8Array;
  prefix: number;
}

export const TRUST_NOTHING: TrustProxy = { kind: 'none' };

/**
 * Reads an address to 16 bytes: IPv6, IPv4 and IPv4-mapped IPv6 alike (an IPv4 address and its
 * mapped form are one address). Undefined for anything else, zone ids (`fe80::1%eth0`) included.
 */
export function addressBytes(text: string): Uint8Array | undefined {
  const version = isIP(text);
  if (text.includes('%')) return undefined;
  if (version === 4) return mapped(ipv4Bytes(text));
  if (version !== 6) return undefined;
  let body = text;
  let tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.', lastColon)) {
    // Dotted IPv4 in the last 32 bits (::ffff:1.2.3.4).
    tail = [...ipv4Bytes(body.slice(lastColon + 1))];
    body = `${body.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = body.split('::') as [string, string | undefined];
  const groups = (part: string) => (part ? part.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const front = groups(head);
  const back = rest === undefined ? [] : groups(rest);
  const words = rest === undefined ? front : [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  });
  if (tail.length) bytes.set(tail, 12);
  return bytes;
}

function ipv4Bytes(text: string): number[] {
  return text.split('.').map(Number);
}

function mapped(ipv4: number[]): Uint8Array {
  const bytes = new Uint8Array(16);
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  bytes.set(ipv4, 12);
  return bytes;
}

const isMappedIpv4 = (bytes: Uint8Array) => bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;

/** `10.0.0.0/8`, `fd00::/8`, `::ffff:10.0.0.0/104` or a single address (`192.0.2.7`, `::1`). */
export function parseAddressRange(text: string): AddressRange | undefined {
  const [address = '', prefixText, extra] = text.trim().split('/');
  if (extra !== undefined) return undefined;
  const bytes = addressBytes(address);
  if (!bytes) return undefined;
  // An IPv4 prefix counts bits of the IPv4 address, which sits in the last 32 of the 128.
  const ipv4 = isIP(address) === 4;
  const max = ipv4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  return { bytes, prefix: ipv4 ? prefix + 96 : prefix };
}

export function rangeContains(range: AddressRange, bytes: Uint8Array): boolean {
  const whole = Math.floor(range.prefix / 8);
  for (let i = 0; i < whole; i++) if (range.bytes[i] !== bytes[i]) return false;
  const bits = range.prefix % 8;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return ((range.bytes[whole] ?? 0) & mask) === ((bytes[whole] ?? 0) & mask);
}

/**
 * TRUST_PROXY's value: empty, `false` or `0` trusts nothing; a whole number is a hop count; else a
 * comma-separated list of CIDR ranges (or single addresses) of trusted proxies. Throws naming
 * what it could not read.
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const text = (value ?? '').trim();
  if (text === '' || text === 'false' || text === '0') return TRUST_NOTHING;
  if (/^\d+$/.test(text)) return { kind: 'hops', hops: Number(text) };
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  const ranges: AddressRange[] = [];
  for (const part of parts) {
    const range = parseAddressRange(part);
    if (!range) throw new Error(`"${part}" is neither a hop count nor an IP address or CIDR range`);
    ranges.push(range);
  }
  return { kind: 'ranges', ranges, source: parts.join(',') };
}

/** How an address is written in logs and limit keys: IPv4-mapped IPv6 as plain IPv4. */
export function canonicalAddress(text: string): string {
  const trimmed = text.trim();
  if (isIP(trimmed) === 6) {
    const bytes = addressBytes(trimmed);
    if (bytes && isMappedIpv4(bytes)) return bytes.slice(12).join('.');
  }
  return trimmed;
}

/**
 * The client's address: the socket's peer, unless it is a trusted proxy; then walks the
 * X-Forwarded-For hops from the nearest (rightmost) back, while each is trusted, and gives the
 * first untrusted one. What an untrusted peer wrote in the header is never read, so a client
 * cannot choose the address it is limited, throttled and audited by. A hop that is not an
 * address ends the walk at the last proxy that was.
 */
export function clientAddress(socketAddress: string | undefined, forwardedFor: string | readonly string[] | undefined, trust: TrustProxy): string | undefined {
  const peer = socketAddress ? canonicalAddress(socketAddress) : undefined;
  if (trust.kind === 'none' || !peer || forwardedFor === undefined) return peer;
  const hops = (typeof forwardedFor === 'string' ? [forwardedFor] : forwardedFor)
    .flatMap((header) => header.split(','))
    .map((hop) => hop.trim())
    .filter(Boolean);
  // Nearest first: the peer, then X-Forwarded-For right to left.
  const chain = [peer, ...hops.reverse()];
  let current = peer;
  for (let i = 0; i < chain.length; i++) {
    const address = chain[i]!;
    const bytes = addressBytes(address);
    if (!bytes) return current;
    current = canonicalAddress(address);
    const trusted = trust.kind === 'hops' ? i < trust.hops : trust.ranges.some((range) => rangeContains(range, bytes));
    if (!trusted) return current;
  }
  return current;
}

/**
 * The caller's address: the socket's peer, or the X-Forwarded-For hop the trusted proxies in
 * front name (TRUST_PROXY); with nothing trusted the header is ignored.
 */
export function clientIp(req: IncomingMessage, trust: TrustProxy): string | undefined {
  return clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trust);
}
