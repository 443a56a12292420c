# syntax=docker/dockerfile:1
# One image for every service: docker-compose.yml runs it once per service with a different
# `command` (its package's start script, `node dist/index.js`, in its package folder). No Docker engine runs on the dev machines, so
# composition/deployment/src/docker-compose.test.ts checks this file's stages instead.

# base: Node 20 and the pnpm version package.json's `packageManager` names.
FROM node:20-bookworm-slim AS base
RUN npm install -g pnpm@10.34.8
WORKDIR /app

# deps: install from the manifests only, so source edits reuse this layer. Every workspace
# package's package.json is copied (the test fails when one is missing): a new subgraph adds a line.
FROM base AS deps
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
COPY router/package.json router/
COPY subgraphs/identity/package.json subgraphs/identity/
COPY subgraphs/knowledge/package.json subgraphs/knowledge/
COPY subgraphs/flags/package.json subgraphs/flags/
COPY subgraphs/conversation/package.json subgraphs/conversation/
COPY subgraphs/voice/package.json subgraphs/voice/
COPY packages/ai/package.json packages/ai/
COPY packages/argument-checks/package.json packages/argument-checks/
COPY packages/auth/package.json packages/auth/
COPY packages/benchmarks/package.json packages/benchmarks/
COPY packages/client-address/package.json packages/client-address/
COPY packages/database/package.json packages/database/
COPY packages/env/package.json packages/env/
COPY packages/erasure/package.json packages/erasure/
COPY packages/errors/package.json packages/errors/
COPY packages/flags-client/package.json packages/flags-client/
COPY packages/graphql-over-http/package.json packages/graphql-over-http/
COPY packages/http-io/package.json packages/http-io/
COPY packages/logging/package.json packages/logging/
COPY packages/metrics/package.json packages/metrics/
COPY packages/operation-telemetry/package.json packages/operation-telemetry/
COPY packages/otlp-receiver/package.json packages/otlp-receiver/
COPY packages/pagination/package.json packages/pagination/
COPY packages/phi-detection/package.json packages/phi-detection/
COPY packages/pubsub/package.json packages/pubsub/
COPY packages/rate-limit/package.json packages/rate-limit/
COPY packages/redis/package.json packages/redis/
COPY packages/resolver-codegen/package.json packages/resolver-codegen/
COPY packages/service-build/package.json packages/service-build/
COPY packages/service-endpoints/package.json packages/service-endpoints/
COPY packages/subgraph-server/package.json packages/subgraph-server/
COPY packages/supergraph-composition/package.json packages/supergraph-composition/
COPY packages/testkit/package.json packages/testkit/
COPY packages/tracing/package.json packages/tracing/
COPY packages/typed-operations/package.json packages/typed-operations/
COPY packages/websocket-batching/package.json packages/websocket-batching/
COPY composition/console/package.json composition/console/
COPY composition/deployment/package.json composition/deployment/
COPY composition/dev-supergraph/package.json composition/dev-supergraph/
COPY composition/load-test/package.json composition/load-test/
COPY composition/services/package.json composition/services/
COPY composition/test-supergraph/package.json composition/test-supergraph/
COPY e2e/package.json e2e/
# Dev dependencies included: the build below needs them (vite, esbuild, tsx).
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --store-dir /pnpm/store

# runtime: speech tools for the voice subgraph (espeak-ng speaks, pocketsphinx listens, sox converts,
# libsox-fmt-mp3 for MP3, ffmpeg for WebM and Ogg Opus), the installed tree, then the source.
FROM base AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng pocketsphinx pocketsphinx-en-us sox libsox-fmt-mp3 ffmpeg \
    && rm -rf /var/lib/apt/lists/*
COPY --from=deps /app ./
COPY . .
# The web console (served by the router under /console) and every service's dist/index.js, which
# its start script runs with plain node: no TypeScript loader in production.
RUN pnpm build
# The only path the services write to (embedded PGlite when DATABASE_URL is unset); the code stays
# root-owned. DATA_DIR is absolute because each service runs in its package folder.
RUN mkdir -p .data && chown node:node .data
ENV NODE_ENV=production DATA_DIR=/app/.data
USER node
EXPOSE 4000 4001
WORKDIR /app/router
CMD ["node", "dist/index.js"]
