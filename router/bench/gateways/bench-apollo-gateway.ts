// A child process of gateway.bench.ts: stock @apollo/gateway in a minimal @apollo/server, the
// reference our router is measured against (no edge protections, no token checks).
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { serveBenchProcess } from '@voiceassist/benchmarks';

let server: ApolloServer | undefined;

serveBenchProcess(
  {
    async start({ supergraphSdl }: { supergraphSdl: string }) {
      server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) });
      const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
      return url;
    },
  },
  { onClose: async () => server?.stop() },
);
