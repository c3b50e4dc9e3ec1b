# node-daemon: multi-stage production image. Build from the repository root:
#   docker build -f infra/docker/node-daemon.Dockerfile -t phoenix/node-daemon .
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# npm install (not ci): see .ci/run — the lockfile pins the versions either way.
RUN npm install --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json nx.json ./
COPY libs ./libs
COPY apps/node-daemon ./apps/node-daemon
# tsc emits with the workspace as root; tsc-alias rewrites @phoenix/* imports to relative paths.
RUN npx tsc -p apps/node-daemon/tsconfig.app.json && npx tsc-alias -p apps/node-daemon/tsconfig.app.json

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3005
WORKDIR /app
# WireGuard in user space plus the network tools; file capabilities let the non-root user
# manage interfaces and nftables (the container also needs cap_add: NET_ADMIN and /dev/net/tun).
RUN apt-get update && apt-get install -y --no-install-recommends wireguard-tools wireguard-go nftables iproute2 libcap2-bin \
 && setcap cap_net_admin+ep /usr/bin/wg && setcap cap_net_admin+ep /usr/bin/wireguard-go \
 && setcap cap_net_admin+ep /usr/sbin/ip && setcap cap_net_admin+ep /usr/sbin/nft \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist/apps/node-daemon ./dist
COPY infra/clickhouse ./infra/clickhouse
USER node
EXPOSE 3005
CMD ["node", "dist/apps/node-daemon/src/main.js"]
