import type { ApolloServerPlugin } from '@apollo/server';

/**
 * Apollo Sandbox embedded as the landing page, pointed at this router for both HTTP and
 * graphql-ws (Apollo's own landing page plugin cannot set the subscription endpoint).
 */
export function sandboxLandingPage(): ApolloServerPlugin {
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8" />
<title>VoiceAssist Supergraph: Apollo Sandbox</title>
<style>html,body{margin:0;height:100%}#sandbox{position:absolute;inset:0}iframe{border:none;width:100%;height:100%}</style>
</head>
<body>
<noscript>Apollo Sandbox needs JavaScript. POST GraphQL requests to this URL instead.</noscript>
<div id="sandbox"></div>
<script src="https://embeddable-sandbox.cdn.apollographql.com/_latest/embeddable-sandbox.umd.production.min.js"></script>
<script>
  var endpoint = window.location.origin + window.location.pathname;
  var subscriptionEndpoint = endpoint.replace(/^http/, 'ws');
  new window.EmbeddedSandbox({
    target: '#sandbox',
    initialEndpoint: endpoint,
    initialSubscriptionEndpoint: subscriptionEndpoint,
    endpointIsEditable: false,
    includeCookies: false,
    runTelemetry: false,
    initialState: { pollForSchemaUpdates: false },
  });
</script>
</body>
</html>`;
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          return { html };
        },
      };
    },
  };
}
