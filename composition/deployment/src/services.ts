import { type z } from '@voiceassist/env';
import { routerEnvSchema } from '@voiceassist/router';
import { subgraphServices } from '@voiceassist/services';

/** The image docker-compose.yml builds from ./Dockerfile; every app service runs it. */
export const APP_IMAGE = 'voiceassist-supergraph';

export interface DeployedService {
  /** The workspace package whose `start` script the compose service runs. */
  packageName: string;
  /** The zod schema the service loads its environment with. */
  envSchema: z.ZodObject;
  /** The env variable holding the port the service listens on. */
  portVariable: string;
  /** Path docker-compose's healthcheck and Kubernetes' readiness probe: /ready, which never waits on another service. */
  healthPath: string;
}

/**
 * Every app service of docker-compose.yml, by compose service name: the router and every
 * subgraph of @voiceassist/services. A compose service that runs APP_IMAGE without an entry
 * here fails the deployment tests.
 */
export const deployedServices: Record<string, DeployedService> = {
  router: { packageName: '@voiceassist/router', envSchema: routerEnvSchema, portVariable: 'ROUTER_PORT', healthPath: '/ready' },
  ...Object.fromEntries(
    subgraphServices.map((s) => [s.name, { packageName: `@voiceassist/${s.name}`, envSchema: s.envSchema, portVariable: s.portVariable, healthPath: '/ready' }]),
  ),
};
