// graphql-middleware 6.1 ships types its package.json "exports" does not expose under NodeNext.
declare module 'graphql-middleware' {
  import type { GraphQLSchema } from 'graphql';
  export function applyMiddleware(schema: GraphQLSchema, ...middlewares: unknown[]): GraphQLSchema;
}
