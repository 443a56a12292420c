import { GraphiQL, type GraphiQLProps } from 'graphiql';
import 'graphiql/style.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './explorer.css';
import { createRouterFetcher, routerEndpoints } from './fetcher.js';

// The explorer the landing page (/) falls back to when Apollo Sandbox cannot load from Apollo's
// CDN (no egress): GraphiQL bundled with the console, talking to this router only.

const DEFAULT_QUERY = `# GraphiQL on this router, offline. Put your access token in the Headers tab:
#   { "Authorization": "Bearer <accessToken>" }
# Queries and mutations go to /graphql over HTTP, subscriptions over graphql-ws
# (the token travels as connectionParams.authorization).

query Ping {
  __typename
}
`;

// GraphiQL types results as graphql-js ExecutionResults (GraphQLError instances); it only shows
// them as JSON, which is what the router sends.
const fetcher = createRouterFetcher(routerEndpoints(window.location)) as unknown as GraphiQLProps['fetcher'];

createRoot(document.getElementById('explorer')!).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} defaultEditorToolsVisibility="headers" isHeadersEditorEnabled shouldPersistHeaders={false} />
  </StrictMode>,
);
