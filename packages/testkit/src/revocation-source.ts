import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Stands in for identity's `/revocations` route where a test runs a service without identity:
 * every verifier refuses tokens (and is not ready) until its first revocation sync, so the
 * service needs somewhere to sync from. No session is revoked.
 */
export async function serveNoRevocations(): Promise<{ url: string; /** A JWKS_URL whose origin serves /revocations. */ jwksUrl: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const body = req.url?.startsWith('/revocations') ? JSON.stringify({ asOf: Date.now(), revocations: [] }) : JSON.stringify({ keys: [] });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, jwksUrl: `${url}/.well-known/jwks.json`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
