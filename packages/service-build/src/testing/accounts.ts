import { randomUUID } from 'node:crypto';
import { dataOf, graphqlRequest, type GraphQLResponse } from '@voiceassist/testkit/graphql-client';

/** A person signed up through the router, as the suites over deployed services use them. */
export interface Account {
  id: string;
  email: string;
  accessToken: string;
}

/** The data of a response, or an error naming the step, its HTTP status and the response's errors. */
export function must<T>(step: string, response: GraphQLResponse<T>): T {
  try {
    return dataOf(response);
  } catch (error) {
    throw new Error(`${step}: HTTP ${response.status}, ${(error as Error).message}`);
  }
}

/** Registers a new person (a unique email from `label`) through `graphqlUrl`. */
export async function registerAccount(graphqlUrl: string, label: string, password: string): Promise<Account> {
  const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
  const { register } = must(
    'register',
    await graphqlRequest<{ register: { accessToken: string; user: { id: string } } }>(
      graphqlUrl,
      `mutation Register($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }`,
      { input: { email, password, displayName: label } },
    ),
  );
  return { id: register.user.id, email, accessToken: register.accessToken };
}
