import { ApolloServer } from '@apollo/server';
import { createLogger, type Logger } from '@voiceassist/logging';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { operationLogPlugin } from './index.js';

interface Context {
  requestId: string;
  logger: Logger;
}

function loggedServer() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ service: 'test', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  const server = new ApolloServer<Context>({
    typeDefs: 'type Query { greet(secret: String): String, refused: String, broken: String }',
    resolvers: {
      Query: {
        greet: () => 'hi',
        refused: () => {
          throw new GraphQLError('No', { extensions: { code: 'FORBIDDEN' } });
        },
        broken: () => {
          throw new Error('boom');
        },
      },
    },
    plugins: [operationLogPlugin<Context>()],
  });
  const run = (query: string, variables?: Record<string, unknown>) => server.executeOperation({ query, variables }, { contextValue: { requestId: 'r-1', logger } });
  return { server, lines, run };
}

describe('operationLogPlugin', () => {
  it('logs one line per operation with its name, type, duration and error codes, never its variables', async () => {
    const { server, lines, run } = loggedServer();
    await run('query Greeting($s: String) { greet(secret: $s) }', { s: 'my-password' });
    await run('query Refused { refused }');
    const operations = lines.filter((line) => line.msg === 'graphql operation');
    expect(operations).toMatchObject([
      { operationName: 'Greeting', operationType: 'query', errorCodes: [] },
      { operationName: 'Refused', operationType: 'query', errorCodes: ['FORBIDDEN'] },
    ]);
    expect(typeof operations[0]!.durationMs).toBe('number');
    expect(JSON.stringify(lines)).not.toContain('my-password');
    await server.stop();
  });

  it('logs an unexpected error once as such, and a coded one not at all beyond its code', async () => {
    const { server, lines, run } = loggedServer();
    await run('query Broken { broken }');
    await run('query Refused { refused }');
    expect(lines.filter((line) => line.msg === 'unexpected error')).toHaveLength(1);
    expect(lines.find((line) => line.msg === 'graphql operation' && line.operationName === 'Broken')).toMatchObject({ errorCodes: ['INTERNAL_SERVER_ERROR'] });
    await server.stop();
  });
});
