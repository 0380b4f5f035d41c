# syntax=docker/dockerfile:1
# One image for every process of the engine: the API by default, the worker,
# the namespace setup and the Vonage simulator by `command:` in
# docker-compose.yml. Node runs the TypeScript sources as they are (type
# stripping), so nothing is compiled: the image holds the sources the
# processes load and the production dependencies, nothing else.

# The Node the tests run on (package.json devDependency `node`, which the image
# does not install: it uses the base image's Node). Raise both together;
# test/unit/compose.test.ts checks that they match.
ARG NODE_VERSION=24.9.0

# ---- build: production dependencies, then a check that the workflow code bundles with them
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# The postinstall would fetch the Temporal dev server and test server (via
# pip): an image talks to a Temporal cluster and needs neither.
ENV SKIP_TEMPORAL_SETUP=1
COPY package.json package-lock.json ./
COPY scripts/setup-temporal.ts scripts/
# Dependency install scripts still run: @swc/core's checks its native binding,
# which the worker's workflow bundler (webpack + swc-loader) needs at start-up.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
COPY activities activities
COPY api api
COPY db db
COPY domain domain
COPY vonage vonage
COPY workers workers
COPY workflows workflows
COPY scripts/paths.ts scripts/
# The worker bundles the workflows at every start; doing it once here too turns
# a missing module or an unresolvable workflow import into a failed build
# instead of a crash-looping worker.
RUN node workers/bundle-cli.ts /tmp/workflows.js && rm /tmp/workflows.js

# ---- runtime
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the process: the code cannot rewrite itself.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/activities activities
COPY --from=build /app/api api
COPY --from=build /app/db db
COPY --from=build /app/domain domain
COPY --from=build /app/vonage vonage
COPY --from=build /app/workers workers
COPY --from=build /app/workflows workflows
COPY --from=build /app/scripts scripts
USER node
# API (API_PORT), the worker's Prometheus endpoint (METRICS_PORT), the simulator (SIMULATOR_PORT).
EXPOSE 3000 9464 4010
# `npm run api` without npm: the same heap caps keep a million-row import under 300 MB.
CMD ["node", "--max-semi-space-size=16", "--max-old-space-size=192", "api/main.ts"]
