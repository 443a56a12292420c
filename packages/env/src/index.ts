import { parseTrustProxy } from '@voiceassist/client-address';
import { z } from 'zod';

export { z };

export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InvalidEnvironmentError';
  }
}

/**
 * Validates the environment once, at start. Every bad variable is named in one error so an
 * operator fixes them all in one go instead of one restart per mistake.
 */
export function loadEnv<S extends z.ZodObject>(schema: S, source: Record<string, string | undefined> = process.env): z.infer<S> {
  const result = schema.safeParse(source);
  if (!result.success) {
    throw new InvalidEnvironmentError(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  return result.data;
}

/**
 * For a library that takes a switch only from the process environment (no option to pass it):
 * the one place our code writes the environment, so every such switch is found here.
 */
export function setLibrarySwitch(name: string, value: string): void {
  process.env[name] = value;
}

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);

/** Building blocks so every service spells common variables the same way. */
export const envVar = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  url: () => z.preprocess(emptyToUndefined, z.url().optional()),
  optionalString: () => z.preprocess(emptyToUndefined, z.string().optional()),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  boolean: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  /** true / false, or undefined when unset or empty (the caller picks the default). */
  optionalBoolean: () =>
    z.preprocess(emptyToUndefined, z.enum(['true', 'false', '1', '0', 'yes', 'no']).optional()).transform((v) =>
      v === undefined ? undefined : v === 'true' || v === '1' || v === 'yes',
    ),
  /** TRUST_PROXY: a hop count or CIDR list of trusted proxies (packages/client-address). */
  trustProxy: () =>
    z
      .string()
      .default('')
      .transform((value, ctx) => {
        try {
          return parseTrustProxy(value);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      }),
  list: () =>
    z
      .string()
      .default('')
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)),
};

/**
 * OpenTelemetry's standard variables (the OTLP exporter and SDK spec): tracing is off unless an
 * endpoint is set. Only the HTTP protocols: no gRPC stack is shipped.
 */
export const tracingEnvShape = {
  OTEL_EXPORTER_OTLP_ENDPOINT: envVar.url(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: envVar.url(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json']).default('http/protobuf'),
  OTEL_SERVICE_NAME: envVar.optionalString(),
  OTEL_TRACES_SAMPLER: z
    .enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'])
    .default('parentbased_always_on'),
  /** The ratio of the `traceidratio` samplers, 0 to 1. */
  OTEL_TRACES_SAMPLER_ARG: z.preprocess(emptyToUndefined, z.coerce.number().min(0).max(1).optional()),
  OTEL_SDK_DISABLED: envVar.boolean(false),
};

export type TracingEnv = z.infer<z.ZodObject<typeof tracingEnvShape>>;

/** Variables every service reads. */
export const commonEnvShape = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: envVar.url(),
  DATA_DIR: z.string().default('.data'),
  REDIS_URL: envVar.url(),
  AUTH_ISSUER: z.string().default('voiceassist-identity'),
  AUTH_AUDIENCE: z.string().default('voiceassist'),
  JWKS_URL: z.url().default('http://localhost:4001/.well-known/jwks.json'),
  /** Access tokens living longer (exp - iat) are refused whoever signed them; revocations are kept this long. */
  ACCESS_TOKEN_MAX_LIFETIME_SECONDS: envVar.positiveInt(3600),
  /** identity's list of revoked sessions; unset means `/revocations` at JWKS_URL's origin. */
  REVOCATIONS_URL: envVar.url(),
  /** How often each instance re-reads the revoked sessions from identity (pub/sub brings them at once meanwhile). */
  REVOCATIONS_SYNC_INTERVAL_MS: envVar.positiveInt(30_000),
  /** identity's feed of deleted users each subgraph erases; unset means `/erasures` at JWKS_URL's origin. */
  ERASURES_URL: envVar.url(),
  /** How often each subgraph re-reads that feed (pub/sub announces deletions at once meanwhile). */
  ERASURE_SYNC_INTERVAL_MS: envVar.positiveInt(60_000),
  /**
   * Proxies allowed to name the client in X-Forwarded-For: a hop count or CIDR ranges. Unset,
   * the socket's peer is the client (a subgraph behind the router trusts the router's address).
   */
  TRUST_PROXY: envVar.trustProxy(),
  /** Stack traces and unexpected errors' messages in responses; never on unless set, whatever NODE_ENV. */
  ERRORS_INCLUDE_STACKTRACE: envVar.boolean(false),
  /** Prometheus /metrics on its own listener; unset, metrics are not served at all. */
  METRICS_PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).optional()),
  /** Loopback unless set: metrics tell the world about the process. */
  METRICS_HOST: z.string().default('127.0.0.1'),
  ...tracingEnvShape,
};
