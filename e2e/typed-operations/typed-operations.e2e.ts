import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createTrustedOperations, readTrustedOperations } from '@voiceassist/router';
import { startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';
import {
  CreateFlagDocument,
  FlagChangesDocument,
  GraphQLRequestError,
  MeDocument,
  RegisterDocument,
  createGraphQLFetch,
  createSubscriptionClient,
  fieldErrors,
  subscribe,
  type FlagChangesSubscription,
} from '@voiceassist/typed-operations';

// The client package against the real router and subgraphs, with the router in safelist mode on
// the committed manifest: the generated documents run as they are, anything else is refused.

const PASSWORD = 'violet kettle harbour';
const manifestPath = fileURLToPath(new URL('../../schema/trusted-operations.json', import.meta.url));

let supergraph: TestSupergraph;
let token: string | undefined;

beforeAll(async () => {
  supergraph = await startSupergraph({
    subgraphs: ['identity', 'flags'],
    env: { identity: { AUTH_THROTTLE_PER_MINUTE: '1000' } },
    router: { edge: { trustedOperations: createTrustedOperations('safelist', readTrustedOperations(manifestPath)) } },
  });
}, 120_000);

afterAll(async () => {
  await supergraph?.stop();
});

describe('@voiceassist/typed-operations through the router', () => {
  it('runs typed documents with the fetch helper, sending the token from the getter', async () => {
    const api = createGraphQLFetch({ url: supergraph.graphqlUrl, getToken: () => token });
    expect(await api.execute(MeDocument)).toEqual({ me: null });
    const { register } = await api.execute(RegisterDocument, { input: { email: 'first@example.org', password: PASSWORD, displayName: 'First' } });
    expect(register.user).toMatchObject({ email: 'first@example.org', role: 'SUPERADMIN' });
    token = register.accessToken;
    expect(await api.execute(MeDocument)).toEqual({ me: register.user });
  });

  it('throws GraphQLRequestError naming the input at fault and why', async () => {
    const api = createGraphQLFetch({ url: supergraph.graphqlUrl });
    const error = await api.execute(RegisterDocument, { input: { email: 'second@example.org', password: 'letmein', displayName: 'Second' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphQLRequestError);
    expect((error as GraphQLRequestError).code).toBe('BAD_USER_INPUT');
    expect(fieldErrors(error).password).toMatchObject({ field: 'password', reasons: expect.arrayContaining(['TOO_SHORT', 'COMMON_PASSWORD']) });
    const { status, errors } = await api.request(RegisterDocument, { input: { email: 'first@example.org', password: PASSWORD, displayName: 'Again' } });
    expect(status).toBe(200);
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'input.email' });
  });

  it('subscribes over graphql-ws with connectionParams from the token getter', async () => {
    const client = createSubscriptionClient({ url: supergraph.wsUrl, getToken: () => token, webSocketImpl: WebSocket });
    const events: FlagChangesSubscription['flagChanges'][] = [];
    const unsubscribe = subscribe(client, FlagChangesDocument, { next: (data) => events.push(data.flagChanges) }, {});
    try {
      await expect.poll(() => events[0]?.kind, { timeout: 20_000 }).toBe('SNAPSHOT');
      const api = createGraphQLFetch({ url: supergraph.graphqlUrl, getToken: () => token });
      await api.execute(CreateFlagDocument, { input: { key: 'client.test', visibility: 'ADMIN', enabled: true } });
      await expect.poll(() => events.find((e) => e.kind === 'UPDATED')?.evaluation, { timeout: 20_000 }).toMatchObject({ key: 'client.test', enabled: true });
    } finally {
      unsubscribe();
      await client.dispose();
    }
  });

  it('reports a refused subscription as an error with its code', async () => {
    const client = createSubscriptionClient({ url: supergraph.wsUrl, getToken: () => 'not-a-token', webSocketImpl: WebSocket, retryAttempts: 0 });
    const failure = await new Promise<GraphQLRequestError>((resolve) => {
      subscribe(client, FlagChangesDocument, { next: () => undefined, error: resolve }, {});
    });
    expect(failure.code).toBe('UNAUTHENTICATED');
    await client.dispose();
  });

  it('is refused by a safelist router for a document that is not in the manifest', async () => {
    const api = createGraphQLFetch({ url: supergraph.graphqlUrl, getToken: () => token });
    const { status, errors } = await api.request({ toString: () => 'query { me { id email } }' } as typeof MeDocument);
    expect(status).toBe(403);
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'UNTRUSTED_OPERATION' });
  });
});
