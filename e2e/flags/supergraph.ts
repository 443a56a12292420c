import { randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';
import { dataOf, type GraphQLResponse } from '@voiceassist/testkit/graphql-client';
import type { FlagsService } from '@voiceassist/flags';

// Helpers for the flags suites: a router with identity and flags, accounts per role, and
// subscriptions over graphql-ws through the router.

export const PASSWORD = 'violet kettle harbour';

export interface Account {
  accessToken: string;
  refreshToken: string;
  user: { id: string; email: string; role: string };
}

export interface FlagsSupergraph {
  supergraph: TestSupergraph;
  flags: FlagsService;
  superadmin: Account;
  admin: Account;
  user: Account;
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse<T>>;
  signUp(label: string, domain?: string): Promise<Account>;
  withRole(role: 'VIEWER' | 'ADMIN', label: string): Promise<Account>;
  subscribe(query: string, variables?: Record<string, unknown>, token?: string): Subscription;
  stop(): Promise<void>;
}

export interface Subscription<T = FlagChangeEventView> {
  events: T[];
  errors: unknown[];
  readonly completed: boolean;
  close(): Promise<void>;
}

export interface FlagEvaluationView {
  key: string;
  enabled: boolean;
  variant: string | null;
  value: unknown;
  reason: string;
  ruleIndex: number | null;
  version: number;
}

export interface FlagChangeEventView {
  version: number;
  kind: 'SNAPSHOT' | 'UPDATED' | 'DELETED';
  key: string | null;
  evaluation: FlagEvaluationView | null;
  flags: FlagEvaluationView[] | null;
}

export const EVALUATION_FIELDS = 'key enabled variant value reason ruleIndex version';
export const EVENT_FIELDS = `version kind key evaluation { ${EVALUATION_FIELDS} } flags { ${EVALUATION_FIELDS} }`;
export const FLAG_FIELDS = 'key description enabled visibility variants { key weight value } rules { kind attribute values enabled variant } rolloutPercentage version createdAt updatedAt';

export const uniqueKey = (label: string) => `${label}.${randomUUID().slice(0, 8)}`;

/** identity and flags behind the real router; SUPERADMIN, ADMIN and USER accounts ready. */
export async function startFlagsSupergraph(options: { flagsEnv?: Record<string, string> } = {}): Promise<FlagsSupergraph> {
  const supergraph = await startSupergraph({
    subgraphs: ['identity', 'flags'],
    env: { identity: { AUTH_THROTTLE_PER_MINUTE: '10000' }, flags: { ...options.flagsEnv } },
    router: { subscriptionLimits: { maxPerUser: 10_000, maxTotal: 100_000, maxBufferedEvents: 100_000 } },
  });
  const clients = new Set<Client>();
  const gql = <T>(query: string, variables: Record<string, unknown> = {}, token?: string) => supergraph.request<T>(query, variables, { token });
  const register = async (email: string): Promise<Account> =>
    dataOf(
      await gql<{ register: Account }>(
        'mutation R($input: RegisterInput!) { register(input: $input) { accessToken refreshToken user { id email role } } }',
        { input: { email, password: PASSWORD, displayName: 'Flags Test' } },
      ),
    ).register;
  const signUp = (label: string, domain = 'example.com') => register(`${label}-${randomUUID().slice(0, 8)}@${domain}`);
  const superadmin = await signUp('founder');
  const withRole = async (role: 'VIEWER' | 'ADMIN', label: string): Promise<Account> => {
    const account = await signUp(label);
    dataOf(await gql('mutation U($id: ID!, $role: Role!) { updateUser(id: $id, input: { role: $role }) { id } }', { id: account.user.id, role }, superadmin.accessToken));
    // A new sign-in: identity ends a user's sessions when their role changes.
    return dataOf(
      await gql<{ login: Account }>('mutation L($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken user { id email role } } }', {
        e: account.user.email,
        p: PASSWORD,
      }),
    ).login;
  };
  const admin = await withRole('ADMIN', 'admin');
  const user = await signUp('user');

  return {
    supergraph,
    flags: supergraph.subgraphs.flags!.service as FlagsService,
    superadmin,
    admin,
    user,
    gql,
    signUp,
    withRole,
    subscribe(query, variables = {}, token) {
      const client = createClient({
        url: supergraph.wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
        retryAttempts: 0,
      });
      clients.add(client);
      const events: FlagChangeEventView[] = [];
      const errors: unknown[] = [];
      let completed = false;
      const unsubscribe = client.subscribe<{ flagChanges: FlagChangeEventView }>(
        { query, variables },
        {
          next: (result) => {
            if (result.errors?.length) errors.push(...result.errors);
            if (result.data?.flagChanges) events.push(result.data.flagChanges);
          },
          error: (error) => errors.push(error),
          complete: () => (completed = true),
        },
      );
      return {
        events,
        errors,
        get completed() {
          return completed;
        },
        async close() {
          unsubscribe();
          clients.delete(client);
          await client.dispose();
        },
      };
    },
    async stop() {
      await Promise.allSettled([...clients].map((c) => c.dispose()));
      await supergraph.stop();
    },
  };
}
