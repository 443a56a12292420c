import { type z } from '@voiceassist/env';
import { identityEnvSchema } from '@voiceassist/identity';
import { routerEnvSchema } from '@voiceassist/router';

/** The image docker-compose.yml builds from ./Dockerfile; every app service runs it. */
export const APP_IMAGE = 'voiceassist-supergraph';

export interface DeployedService {
  /** The workspace package whose `start` script the compose service runs. */
  packageName: string;
  /** The zod schema the service loads its environment with. */
  envSchema: z.ZodObject;
  /** The env variable holding the port the service listens on. */
  portVariable: string;
  /** Path docker-compose's healthcheck probes. */
  healthPath: string;
}

/**
 * Every app service of docker-compose.yml, by compose service name. A compose service that runs
 * APP_IMAGE without an entry here fails the deployment tests. A new subgraph adds one entry.
 */
export const deployedServices: Record<string, DeployedService> = {
  router: { packageName: '@voiceassist/router', envSchema: routerEnvSchema, portVariable: 'ROUTER_PORT', healthPath: '/ready' },
  identity: { packageName: '@voiceassist/identity', envSchema: identityEnvSchema, portVariable: 'IDENTITY_PORT', healthPath: '/health' },
};
