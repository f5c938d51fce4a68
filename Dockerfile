# syntax=docker/dockerfile:1
# One image recipe for every herald app. All three apps (api, worker, cli) are built
# into every image; ARG APP only chooses what the container starts by default:
#   docker build --build-arg APP=worker -t herald-worker .
# The ops/migration CLI runs from any of them, e.g.
#   docker compose run --rm api node dist/apps/cli/apps/cli/src/main.js migration:run

# --- deps: every dependency, dev ones included (the build needs the Nest CLI) ----
# Node 24 LTS, the runtime herald is tested on (.nvmrc; package.json engines).
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# The Nest CLI's herald schematics are a dev dependency linked from the repository (file:schematics).
COPY schematics/package.json ./schematics/package.json
# No dependency's install script is needed (prebuilt N-API binaries; README "Install scripts"), whatever
# the image's npm makes of package.json's allowScripts.
RUN npm ci --no-audit --no-fund --ignore-scripts

# --- build: compile the apps, then drop the dev dependencies -------------------------
FROM deps AS build
COPY nest-cli.json tsconfig.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# --- runtime --------------------------------------------------------------------------
FROM node:24-bookworm-slim AS runtime
# Declared here, after the shared stages, so api/worker/cli images share the build cache.
ARG APP=api
ENV NODE_ENV=production \
    APP=${APP}
WORKDIR /app
# Code stays root-owned (read-only for the app user); only var/ (file mail) is writable.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY scripts/ensure-database.mjs ./scripts/ensure-database.mjs
RUN mkdir -p var/mail && chown -R node:node var
USER node
# 3000: API (PORT), 3001: worker health (WORKER_PORT)
EXPOSE 3000 3001
# Liveness of the app this image starts: api on PORT, worker on WORKER_PORT; other apps (cli) pass.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const e=process.env,p=e.APP==='api'?e.PORT||3000:e.APP==='worker'?e.WORKER_PORT||3001:0;if(!p)process.exit(0);fetch('http://127.0.0.1:'+p+'/health/live',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# exec: node is PID 1 and gets SIGTERM itself (graceful shutdown: in-flight requests, active jobs).
# Heap flags per app from scripts/runtime-defaults.mjs (each app under ~200 MB RSS); a NODE_OPTIONS set for the
# container replaces them.
CMD ["sh", "-c", "if [ -z \"${NODE_OPTIONS+x}\" ]; then case \"$APP\" in api) export NODE_OPTIONS='--max-old-space-size=128 --max-semi-space-size=4' ;; worker) export NODE_OPTIONS='--max-old-space-size=128 --max-semi-space-size=8' ;; esac; fi; exec node --enable-source-maps dist/apps/$APP/apps/$APP/src/main.js"]
