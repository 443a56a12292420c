import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export class BodyTooLargeError extends Error {}

/** Reads a request body, refusing (not buffering) anything over the limit. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limitBytes) {
      reject(new BodyTooLargeError(`Request body over ${limitBytes} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        reject(new BodyTooLargeError(`Request body over ${limitBytes} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

/** A GraphQL error response for requests refused before Apollo sees them. */
export function sendGraphQLError(res: ServerResponse, status: number, message: string, extensions: Record<string, unknown>, headers: Record<string, string> = {}) {
  sendJson(res, status, { errors: [{ message, extensions }] }, headers);
}

/**
 * Answers a request whose handler threw: a coded GraphQL error with no detail, or, when the
 * response had already begun, just its end.
 */
export function sendInternalError(res: ServerResponse) {
  if (!res.headersSent) sendGraphQLError(res, 500, 'Internal server error', { code: 'INTERNAL_SERVER_ERROR' });
  else res.end();
}

/**
 * Starts `server` listening and gives the URL clients on this machine reach it at (a wildcard
 * host becomes 127.0.0.1). A port already taken rejects instead of crashing the process.
 */
export async function listenHttp(server: Server, port: number, host: string): Promise<{ url: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return { url: `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${address.port}`, port: address.port };
}

export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  // Accept a caller's id only if it looks like one; never echo arbitrary text into logs.
  return value && /^[\w.:-]{1,128}$/.test(value) ? value : randomUUID();
}
