import { commonEnvShape, envVar, z } from '@voiceassist/env';

export const flagsEnvSchema = z.object({
  ...commonEnvShape,
  FLAGS_PORT: envVar.port(4005),
  /**
   * Shared secret backend services send (header x-flags-service-token) to read the backend feed,
   * which carries INTERNAL flags. Unset: loopback callers only outside production, nobody in production.
   */
  FLAGS_SERVICE_TOKEN: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(32, 'must be at least 32 characters').optional()),
  /** Change history (flagHistory, reconnect replay) is kept this long; older events are pruned. */
  FLAG_HISTORY_RETENTION_HOURS: z.coerce.number().positive().default(720),
  /** How often each replica looks for due scheduled changes. */
  FLAG_SCHEDULER_INTERVAL_MS: envVar.positiveInt(250),
  /** identity's GraphQL URL, to read a caller's email for EMAIL_DOMAIN_IN rules; default: JWKS_URL's origin + /graphql. */
  IDENTITY_URL: envVar.url(),
});

export type FlagsEnv = z.infer<typeof flagsEnvSchema>;
