# hookpost: one image for every role (API, worker, all-in-one); the role is chosen by the command.
#   docker build -t hookpost:0.1.0 .
#   docker run hookpost:0.1.0                             # worker (default)
#   docker run hookpost:0.1.0 node dist/workers/api.js    # management API
# Both stages use the same pinned base so the native modules built by `npm ci` match the runtime.
# The base is the current Node.js LTS line (26 'Lithium', Active LTS since 2026-10-28) on Debian 13
# (trixie, the stable release; Node 26 images are built on it). package.json `engines` names this
# major line, and CI (.ci/run) runs the suite on it; bump this pin for each Node security release.

# ---- build: dev dependencies + TypeScript compile -------------------------------------------
FROM node:26.13.1-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# ---- runtime: production dependencies and dist/ only, non-root ------------------------------
FROM node:26.13.1-trixie-slim AS runtime
LABEL org.opencontainers.image.title="hookpost" \
      org.opencontainers.image.description="Durable, signed webhook delivery (UbiOps v2.1-compatible API)" \
      org.opencontainers.image.licenses="Apache-2.0"
# tini is PID 1: it forwards SIGTERM to Node (graceful shutdown) and reaps zombies. `docker run --init`
# does the same, but Kubernetes has no such flag, so it lives in the image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Root-owned and not writable by the app user: the process cannot modify its own code.
RUN npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force
COPY --from=build /app/dist ./dist
# The monitoring page's static files (served at /ui by the API; src/api/routes/ui.ts).
COPY --from=build /app/ui ./ui
# The image's `node` user (uid/gid 1000), numeric so Kubernetes can verify runAsNonRoot.
USER 1000:1000
# 8080: API (+ /metrics /healthz /readyz); 9464: worker /metrics /healthz /readyz.
EXPOSE 8080 9464
# Liveness for whichever role runs: healthy when /healthz answers 200 on the worker's metrics port
# or on the API port (defaults 9464 and 8080, or HOOKPOST_METRICS_PORT / HOOKPOST_API_PORT).
# Kubernetes ignores HEALTHCHECK and uses the chart's probes instead.
HEALTHCHECK --interval=15s --timeout=5s --retries=3 \
    CMD ["node", "-e", "const http=require('node:http');const ports=[process.env.HOOKPOST_METRICS_PORT||9464,process.env.HOOKPOST_API_PORT||8080];let left=ports.length;const miss=()=>{if(--left===0)process.exit(1)};for(const port of ports){const req=http.get({host:'127.0.0.1',port,path:'/healthz',timeout:4000},(res)=>{res.resume();if(res.statusCode===200)process.exit(0);miss()});req.on('timeout',()=>req.destroy());req.on('error',miss)}"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/workers/worker.js"]
