# One image for both production processes; docker-compose.yml picks the command
# (node dist/api/main.js or node dist/worker/main.js).

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm run build:console -- dist/console-assets

FROM node:20-slim AS runtime
ENV NODE_ENV=production
# glibc's per-thread malloc arenas fragment under the worker's threads (Node, the SDK's Rust core):
# two arenas cut the worker's RSS per cached case from ~0.36 MB to ~0.22 MB (npm run bench:capacity).
ENV MALLOC_ARENA_MAX=2
# The console, bundled at image build (npm run build:console) rather than on first request.
ENV CONSOLE_DIST=/app/dist/console-assets
WORKDIR /app
# A separate production-only install keeps jest, eslint and drizzle-kit out of the image.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# drizzle migrations (SQL + journal) are read from db/ at runtime; tsc does not copy them into dist/.
COPY --from=build /app/db ./db
USER node
EXPOSE 3000
CMD ["node", "dist/api/main.js"]
