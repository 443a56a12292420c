// The test kit: helpers any package's tests may use (databases, env, GraphQL clients, a local
// OpenAI-compatible server, a private Redis). It imports no app; starting the whole supergraph
// is @voiceassist/test-supergraph's job, in the composition layer.
export { createTestDatabase, type TestDatabase } from './database.js';
export { testEnv, testRouterEngine } from './env.js';
export { dataOf, errorOf, graphqlRequest, type GraphQLResponse, type RequestOptions } from './graphql-client.js';
