import type { FormattedExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A graphql-ws client as an app opens one: the access token in `connectionParams`, no retries, so a refusal shows. */
export function graphqlWsClient(url: string, token?: string): { client: Client; closeCodes: number[] } {
  const closeCodes: number[] = [];
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
    on: { closed: (event) => closeCodes.push((event as { code: number }).code) },
  });
  return { client, closeCodes };
}

/** How a subscription ended: completed by the server, or failed (its GraphQL errors, the socket's close code and reason, or an Error's message). */
export type SubscriptionEnd = { kind: 'complete' } | { kind: 'error'; error: unknown };

/** What graphql-ws hands the error sink, as plain data a test failure can print (a CloseEvent stringifies to `{}`). */
function printable(error: unknown): unknown {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object' && 'code' in error && 'reason' in error) return { closeCode: error.code, reason: error.reason };
  return error;
}

export interface SubscriptionRun<TData> {
  /** Every result received, errors included, in order. */
  results: Array<FormattedExecutionResult<TData, unknown>>;
  /** The data of each result that carried some. */
  data: TData[];
  /** Settles (never rejects) when the server ends the subscription or `until` says stop. */
  ended: Promise<SubscriptionEnd>;
  stop(): void;
}

/** Subscribes and gathers what arrives until the server ends it, or until `until(data)` returns true. */
export function subscribe<TData>(client: Client, query: string, variables: Record<string, unknown> = {}, until?: (data: TData[]) => boolean): SubscriptionRun<TData> {
  const results: Array<FormattedExecutionResult<TData, unknown>> = [];
  const data: TData[] = [];
  let unsubscribe = () => {};
  const ended = new Promise<SubscriptionEnd>((resolve) => {
    unsubscribe = client.subscribe<TData>(
      { query, variables },
      {
        next(result) {
          results.push(result);
          if (result.data) data.push(result.data);
          if (until?.(data)) {
            unsubscribe();
            resolve({ kind: 'complete' });
          }
        },
        error: (error) => resolve({ kind: 'error', error: printable(error) }),
        complete: () => resolve({ kind: 'complete' }),
      },
    );
  });
  return { results, data, ended, stop: () => unsubscribe() };
}
