# analytics-service: multi-stage production image. Build from the repository root:
#   docker build -f infra/docker/analytics-service.Dockerfile -t phoenix/analytics-service .
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# npm install (not ci): see .ci/run — the lockfile pins the versions either way.
RUN npm install --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json nx.json ./
COPY libs ./libs
COPY apps/analytics-service ./apps/analytics-service
# tsc emits with the workspace as root; tsc-alias rewrites @phoenix/* imports to relative paths.
RUN npx tsc -p apps/analytics-service/tsconfig.app.json && npx tsc-alias -p apps/analytics-service/tsconfig.app.json

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3003
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist/apps/analytics-service ./dist
# The dashboard's page, script and styles are read beside the compiled dashboard module (tsc copies no assets).
COPY apps/analytics-service/src/dashboard/public ./dist/apps/analytics-service/src/dashboard/public
COPY infra/clickhouse ./infra/clickhouse
USER node
EXPOSE 3003
CMD ["sh", "-c", "node dist/apps/analytics-service/src/database/migrate.js && exec node dist/apps/analytics-service/src/main.js"]
