# One image for both processes of the credits billing service:
#   API:    node dist/api/main.js      (the default command)
#   worker: node dist/worker/main.js
# See docs/docker-compose.md for how docker-compose.yml runs them.
#
# Needs BuildKit (the default builder since Docker Engine 23) for the npm cache mounts.
# Debian (glibc), not Alpine: @temporalio/core-bridge ships its native Rust bridge prebuilt only for
# linux-gnu (x86_64 and aarch64), and the worker's workflow bundler uses @swc/core's -gnu binaries.
ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS base
WORKDIR /app
COPY package.json package-lock.json ./

# Production dependencies only. @swc/core, swc-loader and webpack stay: they are dependencies of
# @temporalio/worker, which bundles the workflow code when the worker starts.
FROM base AS prod-deps
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev

# Full install (typescript is a dev dependency) and the TypeScript build into dist/.
FROM base AS build
RUN --mount=type=cache,target=/root/.npm npm ci
COPY . .
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# A container's API serves what is published to it: every interface (npm start defaults to loopback).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
# dist/workflows must be present: the worker resolves '../workflows' from dist/worker at start.
COPY --from=build /app/dist ./dist
# The billing portal, built by Vite (lit is bundled into it: no runtime dependency).
COPY --from=build /app/portal/dist ./portal/dist
# Read at start from the project root (the parent of dist/): migrations and the price book.
COPY migrations ./migrations
COPY config/price-book.json ./config/price-book.json
# Files stay owned by root; the processes run as the unprivileged `node` user and write nothing here.
USER node
EXPOSE 3000
CMD ["node", "dist/api/main.js"]
