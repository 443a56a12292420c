import { commonEnvShape, envVar, z } from '@voiceassist/env';

export const identityEnvSchema = z.object({
  ...commonEnvShape,
  IDENTITY_PORT: envVar.port(4001),
  /** Access tokens are short-lived: revocation is enforced per request, expiry bounds the rest. */
  ACCESS_TOKEN_TTL_SECONDS: envVar.positiveInt(900),
  REFRESH_TOKEN_TTL_SECONDS: envVar.positiveInt(604_800),
  /** Ed25519 private key as PKCS8 PEM (`\n` escapes accepted); generated and stored in the database when absent. */
  IDENTITY_SIGNING_KEY: envVar.optionalString(),
  /** Creates this SUPERADMIN at start when there is no user yet; set both or neither. */
  SEED_SUPERADMIN_EMAIL: envVar.optionalString(),
  SEED_SUPERADMIN_PASSWORD: envVar.optionalString(),
  /** Register attempts per minute per address and per email; the base of the login rule (throttle.ts). */
  AUTH_THROTTLE_PER_MINUTE: envVar.positiveInt(10),
  /** How often identity verifies the audit chain by itself (its metrics feed the alert on a broken chain); 0 turns it off. */
  AUDIT_VERIFY_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(3_600),
  /** Subgraphs that must confirm an erasure before identity records it complete. */
  ERASURE_SUBGRAPHS: z
    .string()
    .default('conversation,knowledge,voice,flags')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)),
})
  // Every verifier refuses tokens living longer, and revocations are kept only that long.
  .refine((env) => env.ACCESS_TOKEN_TTL_SECONDS <= env.ACCESS_TOKEN_MAX_LIFETIME_SECONDS, {
    path: ['ACCESS_TOKEN_TTL_SECONDS'],
    message: 'must not exceed ACCESS_TOKEN_MAX_LIFETIME_SECONDS',
  });

export type IdentityEnv = z.infer<typeof identityEnvSchema>;
