// The package's public surface (@voiceassist/router). The router itself is built in
// create-router.ts; from-env.ts configures it from the environment. Only this module re-exports
// both, so neither imports the other back.
export type { RouterContext } from './context.js';
export { createRouter } from './create-router.js';
export type { Router, RouterEngine, RouterOptions, SupergraphReload } from './router-options.js';
export { createRouterFromEnv } from './from-env.js';
export { ROUTER_ENGINES, routerEnvSchema, subgraphUrlOverrides, type RouterEnv } from './env.js';
export { defaultSupergraphPath, readSupergraph } from './supergraph.js';
export { createTrustedOperations, readTrustedOperations, type TrustedOperationsManifest } from './edge/trusted-operations.js';
