# config-service: multi-stage production image. Build from the repository root:
#   docker build -f infra/docker/config-service.Dockerfile -t phoenix/config-service .
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# npm install (not ci): see .ci/run — the lockfile pins the versions either way.
RUN npm install --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json nx.json ./
COPY libs ./libs
COPY apps/config-service ./apps/config-service
# tsc emits with the workspace as root; tsc-alias rewrites @phoenix/* imports to relative paths.
RUN npx tsc -p apps/config-service/tsconfig.app.json && npx tsc-alias -p apps/config-service/tsconfig.app.json

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3002
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist/apps/config-service ./dist
COPY infra/clickhouse ./infra/clickhouse
USER node
EXPOSE 3002
CMD ["sh", "-c", "node dist/apps/config-service/src/database/migrate.js && exec node dist/apps/config-service/src/main.js"]
