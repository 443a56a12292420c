import { randomUUID } from 'node:crypto';
import { startSupergraph, type StartSupergraphOptions, type TestSupergraph } from '@voiceassist/test-supergraph';
import type { GraphQLResponse, RequestOptions } from '@voiceassist/testkit';

type Request = <T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, options?: RequestOptions) => Promise<GraphQLResponse<T>>;

export interface Account {
  userId: string;
  token: string;
}

/**
 * Registers a user through the router (the first of a supergraph is SUPERADMIN, later ones USER).
 * A test signs up a few, all from loopback: fewer than identity's per-address throttle allows.
 */
export async function signUp(request: Request, label: string): Promise<Account> {
  const response = await request<{ register: { accessToken: string; user: { id: string } } }>(
    'mutation Register($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }',
    { input: { email: `${label}-${randomUUID().slice(0, 8)}@example.com`, password: 'violet kettle harbour', displayName: label } },
  );
  const register = response.body.data?.register;
  if (!register) throw new Error(`register failed: ${JSON.stringify(response.body.errors)}`);
  return { userId: register.user.id, token: register.accessToken };
}


/**
 * The supergraph with its first user (SUPERADMIN, never used: tests act as members) and two
 * members, alice and bob, whose data must stay apart.
 */
export async function startWithMembers(options: StartSupergraphOptions): Promise<{ supergraph: TestSupergraph; alice: Account; bob: Account }> {
  const supergraph = await startSupergraph(options);
  await signUp(supergraph.request, 'founder');
  return { supergraph, alice: await signUp(supergraph.request, 'alice'), bob: await signUp(supergraph.request, 'bob') };
}
