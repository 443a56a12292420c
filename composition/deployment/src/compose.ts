import { z } from '@voiceassist/env';
import { parse } from 'yaml';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const serviceSchema = z.object({
  image: z.string().optional(),
  build: z.union([z.string(), z.object({ context: z.string().optional(), dockerfile: z.string().optional() })]).optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  working_dir: z.string().optional(),
  environment: z.union([z.record(z.string(), scalar.nullable()), z.array(z.string())]).optional(),
  depends_on: z
    .union([z.array(z.string()), z.record(z.string(), z.object({ condition: z.string().optional() }))])
    .optional(),
  healthcheck: z.object({ test: z.union([z.string(), z.array(z.string())]).optional() }).optional(),
  ports: z.array(scalar).optional(),
  networks: z.union([z.array(z.string()), z.record(z.string(), z.object({ ipv4_address: z.string().optional() }).nullable())]).optional(),
});

const composeSchema = z.object({ services: z.record(z.string(), serviceSchema) });

export type ComposeService = z.infer<typeof serviceSchema>;
export type ComposeFile = z.infer<typeof composeSchema>;

/** Parses docker-compose.yml (YAML merge keys `<<: *anchor` included, as compose reads them). */
export function parseCompose(text: string): ComposeFile {
  return composeSchema.parse(parse(text, { merge: true }));
}

/**
 * Resolves compose interpolation the way `docker compose` does with no .env and no shell
 * variables: `${VAR:-default}` and `${VAR-default}` become the default, `$$` a literal `$`.
 * `${VAR}` and `${VAR:?error}` throw: every interpolation must carry a default so the
 * topology starts without an .env file.
 */
export function interpolate(value: string): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$[A-Za-z_{]/g, (match, name?: string, operator?: string, fallback?: string) => {
    if (match === '$$') return '$';
    if (name === undefined) throw new Error(`unsupported interpolation at "${match}" in "${value}"`);
    if (operator === undefined) throw new Error(`\${${name}} has no default; write \${${name}:-default}`);
    return fallback ?? '';
  });
}

/** The service's environment as a plain map with interpolations resolved. */
export function serviceEnvironment(service: ComposeService): Record<string, string> {
  const entries = Array.isArray(service.environment)
    ? service.environment.map((line) => {
        const eq = line.indexOf('=');
        return eq === -1 ? [line, ''] : [line.slice(0, eq), line.slice(eq + 1)];
      })
    : Object.entries(service.environment ?? {}).map(([name, value]) => [name, value === null ? '' : String(value)]);
  return Object.fromEntries(entries.map(([name = '', value = '']) => [name, interpolate(value)]));
}

/** depends_on as dependency → condition (`service_started` for the short list form). */
export function serviceDependencies(service: ComposeService): Record<string, string> {
  const dependsOn = service.depends_on ?? [];
  if (Array.isArray(dependsOn)) return Object.fromEntries(dependsOn.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(dependsOn).map(([name, { condition }]) => [name, condition ?? 'service_started']));
}

/** The command as one string, the way the README writes it. */
export function commandLine(service: ComposeService): string | undefined {
  return Array.isArray(service.command) ? service.command.join(' ') : service.command;
}
