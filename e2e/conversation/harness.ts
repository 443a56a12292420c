import { randomUUID } from 'node:crypto';
import type { FormattedExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { TestSupergraph } from '@voiceassist/test-supergraph';
import { dataOf } from '@voiceassist/testkit/graphql-client';

// Test helpers for the conversation suites: accounts through the router, GraphQL calls that
// fail loudly, and subscriptions over real WebSockets.

export const PASSWORD = 'violet kettle harbour';

export interface Account {
  id: string;
  email: string;
  role: string;
  accessToken: string;
  refreshToken: string;
}

export interface StreamEvent {
  messageId: string;
  index: number;
  delta: string;
  done: boolean;
  message: { id: string; status: string; content: string; citations: Array<{ id: string }>; usage: { promptTokens: number; completionTokens: number; model: string } | null } | null;
  error: { code: string; message: string } | null;
}

export const STREAM_SUBSCRIPTION = `subscription Stream($id: ID!, $after: Int) {
  messageStream(messageId: $id, afterIndex: $after) {
    messageId index delta done error { code message }
    message { id status content citations { id } usage { promptTokens completionTokens model } }
  }
}`;

export const SEND = `mutation Send($c: ID!, $text: String!, $k: Boolean) {
  sendMessage(conversationId: $c, content: $text, useKnowledge: $k) {
    userMessage { id role status content }
    assistantMessage { id role status content }
  }
}`;

export class Harness {
  constructor(readonly supergraph: TestSupergraph) {}

  gql<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}, token?: string) {
    return this.supergraph.request<T>(query, variables, { token });
  }

  async data<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
    return dataOf(await this.gql<T>(query, variables, token));
  }

  async signUp(label = 'user'): Promise<Account> {
    const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
    const { register } = await this.data<{ register: { accessToken: string; refreshToken: string; user: { id: string; role: string } } }>(
      `mutation R($input: RegisterInput!) { register(input: $input) { accessToken refreshToken user { id role } } }`,
      { input: { email, password: PASSWORD, displayName: label } },
    );
    return { id: register.user.id, email, role: register.user.role, accessToken: register.accessToken, refreshToken: register.refreshToken };
  }

  /** Gives `account` a role (as `superadmin`) and signs in again, for a token that carries the role. */
  async withRole(superadmin: Account, account: Account, role: string): Promise<Account> {
    await this.data(`mutation U($id: ID!, $input: AdminUpdateUserInput!) { updateUser(id: $id, input: $input) { id } }`, { id: account.id, input: { role } }, superadmin.accessToken);
    const { login } = await this.data<{ login: { accessToken: string; refreshToken: string; user: { id: string; role: string } } }>(
      `mutation L($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken user { id role } } }`,
      { e: account.email, p: PASSWORD },
    );
    return { id: login.user.id, email: account.email, role: login.user.role, accessToken: login.accessToken, refreshToken: login.refreshToken };
  }

  async createConversation(account: Account, title?: string): Promise<string> {
    const { createConversation } = await this.data<{ createConversation: { id: string } }>(
      `mutation C($t: String) { createConversation(title: $t) { id } }`,
      { t: title ?? null },
      account.accessToken,
    );
    return createConversation.id;
  }

  async send(account: Account, conversationId: string, text: string, useKnowledge?: boolean) {
    const { sendMessage } = await this.data<{ sendMessage: { userMessage: { id: string; status: string }; assistantMessage: { id: string; status: string } } }>(
      SEND,
      { c: conversationId, text, k: useKnowledge ?? null },
      account.accessToken,
    );
    return sendMessage;
  }

  client(account: Account, url = this.supergraph.wsUrl): Client {
    return createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${account.accessToken}` }, retryAttempts: 0, lazy: true });
  }
}

export interface StreamRun {
  events: StreamEvent[];
  results: FormattedExecutionResult[];
  /** Resolves when the stream completes, errors or `until` says stop. */
  finished: Promise<void>;
  stop(): void;
}

/** Subscribes to a reply's stream and gathers its events until the end (or `until` returns true). */
export function streamReply(client: Client, messageId: string, afterIndex?: number, until?: (events: StreamEvent[]) => boolean): StreamRun {
  const events: StreamEvent[] = [];
  const results: FormattedExecutionResult[] = [];
  let unsubscribe: () => void = () => {};
  const finished = new Promise<void>((resolve, reject) => {
    unsubscribe = client.subscribe<{ messageStream: StreamEvent }>(
      { query: STREAM_SUBSCRIPTION, variables: { id: messageId, after: afterIndex ?? null } },
      {
        next: (result) => {
          results.push(result as FormattedExecutionResult);
          if (result.data?.messageStream) events.push(result.data.messageStream);
          if (until?.(events)) {
            unsubscribe();
            resolve();
          }
        },
        error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: () => resolve(),
      },
    );
  });
  return { events, results, finished, stop: () => unsubscribe() };
}

/** The whole reply: every event until `done`. */
export async function wholeReply(client: Client, messageId: string, afterIndex?: number): Promise<StreamEvent[]> {
  const run = streamReply(client, messageId, afterIndex);
  await run.finished;
  return run.events;
}

export const textOf = (events: readonly StreamEvent[]) => events.map((e) => e.delta).join('');
