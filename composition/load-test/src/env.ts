import { envVar, loadEnv, z } from '@voiceassist/env';

/** `pnpm loadtest` reads its target from LOADTEST_URL (the router's /graphql) unless --url names one. */
export const loadTestEnv = loadEnv(z.object({ LOADTEST_URL: envVar.url() }));
