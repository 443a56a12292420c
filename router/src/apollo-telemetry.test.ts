import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'graphql';
import { expect, it } from 'vitest';
import { composeSupergraph } from '@voiceassist/supergraph-composition';
import { createLogger } from '@voiceassist/logging';
import { createRouter } from './router.js';
import { TestIssuer } from '../testing/fixtures.js';

// Apollo Gateway, left to itself, probes cloud metadata endpoints at start and reports host
// facts to Apollo every hour. The router must not send anything off the machine by default, on
// either engine (the apollo one is where Apollo Gateway runs).
it.each(['native', 'apollo'] as const)('starts and serves without a request to anywhere but its subgraphs (%s engine)', async (engine) => {
  const hosts: string[] = [];
  const onRequest = (message: unknown) => hosts.push((message as { request: ClientRequest }).request.host);
  subscribe('http.client.request.start', onRequest);
  const issuer = await TestIssuer.create();
  const supergraphSdl = composeSupergraph([
    {
      name: 'widgets',
      url: 'http://127.0.0.1:9/graphql',
      typeDefs: parse(`extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
        type Query { widget: String }`),
    },
  ]);
  const router = createRouter({ supergraphSdl, verifier: issuer.verifier, revocations: issuer.revocations, logger: createLogger({ service: 'test', level: 'silent' }), engine });
  try {
    const { url } = await router.listen(0, '127.0.0.1');
    expect((await fetch(`${url}/health`)).status).toBe(200);
    // The gateway's resource detectors start their probes asynchronously after construction.
    await sleep(1_000);
  } finally {
    await router.close();
    unsubscribe('http.client.request.start', onRequest);
  }
  expect(hosts.filter((host) => host !== '127.0.0.1' && host !== 'localhost')).toEqual([]);
});
