import type { Logger } from '@voiceassist/logging';

export interface EmailLookup {
  /** The caller's email from identity (`me { email }` with their own token), cached briefly; null when unknown. */
  emailOf(userId: string, authorization: string, requestId: string): Promise<string | null>;
}

const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;

/**
 * EMAIL_DOMAIN_IN rules need the caller's email, which access tokens do not carry. Asked of
 * identity only when a flag with such a rule is evaluated, with the caller's own token (so
 * identity decides what they may read), and cached per user for a minute.
 */
export function createEmailLookup(options: { identityUrl: string; logger: Logger; timeoutMs?: number }): EmailLookup {
  const cache = new Map<string, { email: string | null; expires: number }>();
  const inFlight = new Map<string, Promise<string | null>>();
  const fetchEmail = async (authorization: string, requestId: string): Promise<string | null> => {
    const response = await fetch(options.identityUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization, 'x-request-id': requestId },
      body: JSON.stringify({ query: 'query FlagsViewerEmail { me { email } }' }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 3_000),
    });
    const body = (await response.json()) as { data?: { me?: { email?: unknown } | null } };
    const email = body.data?.me?.email;
    return typeof email === 'string' ? email : null;
  };
  return {
    async emailOf(userId, authorization, requestId) {
      const cached = cache.get(userId);
      if (cached && cached.expires > Date.now()) return cached.email;
      let pending = inFlight.get(userId);
      if (!pending) {
        pending = fetchEmail(authorization, requestId)
          .then((email) => {
            if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
            cache.set(userId, { email, expires: Date.now() + TTL_MS });
            return email;
          })
          .catch((error: unknown) => {
            // Email rules then do not match; every other rule still applies.
            options.logger.warn({ err: error, userId }, 'could not read the caller email from identity');
            return null;
          })
          .finally(() => inFlight.delete(userId));
        inFlight.set(userId, pending);
      }
      return pending;
    },
  };
}
