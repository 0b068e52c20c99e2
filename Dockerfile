# One image for both production processes; docker-compose.yml picks the command
# (node dist/api/main.js or node dist/worker/main.js). Node 24 is the current LTS line.

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The compiled services, the console and the workflow bundle, all built here rather than at start:
# a worker loading the prebuilt bundle skips seconds of webpack (and its page of output) per start.
# The second bundle carries OpenTelemetry's workflow interceptors: for workers with tracing on.
# Stack frames kept by workflow code are fixed here (README, "Workflow stack traces"):
# docker build --build-arg WORKFLOW_STACK_FRAMES=10 for an image whose workflow failures show where.
ARG WORKFLOW_STACK_FRAMES=0
RUN npm run build \
 && npm run build:console -- dist/console-assets \
 && npm run build:workflows -- dist/workflow-bundle.js \
 && npm run build:workflows -- dist/workflow-bundle-tracing.js --tracing

FROM node:24-slim AS runtime
ENV NODE_ENV=production
# glibc's per-thread malloc arenas fragment under the worker's threads (Node, the SDK's Rust core):
# two arenas cut the worker's RSS per cached case from ~0.36 MB to ~0.22 MB (npm run bench:capacity).
ENV MALLOC_ARENA_MAX=2
# The console, bundled at image build (npm run build:console) rather than on first request.
ENV CONSOLE_DIST=/app/dist/console-assets
# The workflow bundle, built at image build (npm run build:workflows): the worker loads it as is.
# With OTEL_EXPORTER_OTLP_ENDPOINT set, use /app/dist/workflow-bundle-tracing.js (the worker refuses a mismatch).
ENV WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
# The worker records promise stacks (the Stack Trace tab) only when it keeps frames: as the bundle was built.
ARG WORKFLOW_STACK_FRAMES=0
ENV WORKFLOW_STACK_FRAMES=${WORKFLOW_STACK_FRAMES}
WORKDIR /app
# A separate production-only install keeps jest, eslint and drizzle-kit out of the image.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# drizzle migrations (SQL + journal) are read from db/ at runtime; tsc does not copy them into dist/.
COPY --from=build /app/db ./db
USER node
# 3000: the API (PORT). 3001: the worker's /healthz, /readyz and /metrics (WORKER_PORT); publish it to no one.
EXPOSE 3000 3001
# Whichever process the container runs answers /readyz on its port; slim images have no curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=6 CMD ["node", "dist/scripts/healthcheck.js"]
CMD ["node", "dist/api/main.js"]
