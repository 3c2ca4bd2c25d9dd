# One image for the edusage services; docker-compose.yml picks the service with its command and sets
# its environment (ingest, enrich and aggregate with the workers' lean heap:
# packages/demo/src/services.ts WORKER_NODE_ARGS and WORKER_MALLOC_ENV):
#   node [flags] services/<ingest|enrich|aggregate|jobs|api>/dist/main.js
FROM node:20-bookworm-slim AS build
RUN npm install -g pnpm@10.34.9
WORKDIR /app
# Manifests first, so the dependency layer is cached while only sources change.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc tsconfig.base.json tsconfig.json ./
COPY patches ./patches
COPY packages ./packages
COPY services ./services
COPY infra/clickhouse ./infra/clickhouse
RUN pnpm install --frozen-lockfile
RUN pnpm build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
USER node
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=100", "services/ingest/dist/main.js"]
