# The production server (`npm run serve`: REST + SSE + dashboard in one long-lived process over
# DynamoDB), as the Fargate fleet runs it. Build: docker build -t tickerpulse .
# Checked by `npm run lint:docker` (scripts/lint-dockerfile.ts); its command line is run as a
# process by test/integration/cli/dockerfile-command.test.ts. See docs/fleet.md.

# Stage 1: production dependencies only, from the lockfile. The `node` devDependency (Node 24 for
# npm scripts) is a devDependency, so it is not installed: the image runs the base image's node.
# --ignore-scripts: no dependency may run code at build time; the one native module (classic-level,
# under dynalite, which only the embedded store uses) ships prebuilt binaries for linux x64/arm64.
FROM node:24.21.0-bookworm-slim AS deps
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# Stage 2: the runtime. Node 24 runs the TypeScript sources as they are (type stripping), so
# there is no build step: src/ (code and dashboard), generated/ (validators and types it imports),
# package.json ("type": "module", and the version /health reports). Files stay owned by root:
# the server, running as `node`, can read its code but not change it.
# NODE_COMPILE_CACHE: Node's compile cache, in the home of the user that runs the server (Node
# keeps one per uid). Warmed below, so no start loads the type stripper (about 18 MB resident).
FROM node:24.21.0-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 NODE_COMPILE_CACHE=/home/node/.cache/node-compile
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY generated ./generated
COPY src ./src
USER node
# Warm the compile cache with the server's real start-up: with credentials for its settings but
# no AWS region, it loads every module it runs with, then stops at its first AWS check (exit 1).
# The grep fails the build if it ever stops anywhere else, where it may not have loaded them all.
RUN INGEST_API_KEY=compile-cache-warm-up AUTH_JWT_SECRET=compile-cache-warm-up-not-a-secret-0123456789 \
  AWS_EC2_METADATA_DISABLED=true node --max-semi-space-size=2 src/serve.ts 2>&1 | grep -q "no AWS region"
EXPOSE 3000
# The slim image has no curl: node itself asks /health (200 while serving, `degraded` when the
# store does not answer, so a store outage does not get healthy tasks replaced).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself; the server ends its streams with a
# reconnect hint and exits within 5 s, before the orchestrator's stop timeout. The options are
# `npm run serve`'s (package.json): a 2 MB young generation (docs/performance.md, "Resident
# memory at start").
STOPSIGNAL SIGTERM
CMD ["node", "--max-semi-space-size=2", "src/serve.ts"]
