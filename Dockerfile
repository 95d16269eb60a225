# k0rdent MCP Server image: `serve --stateless` on 0.0.0.0:6767 as a non-root user, nothing written at
# run time (a read-only root filesystem works). Kubernetes probes /healthz and /readyz; no HEALTHCHECK.
#   buildah bud -t k0rdent-mcp:0.1.0 .        (or docker build)
# NODE_IMAGE: any Node.js 20 image with npm (the slim Debian one by default); pin it by digest in CI.
ARG NODE_IMAGE=docker.io/library/node:20-bookworm-slim

# Build: the npm package exactly as `npm pack` makes it (prepack builds dist/), unpacked to /out/package.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json LICENSE README.md ./
COPY scripts ./scripts
COPY src ./src
COPY data ./data
RUN mkdir -p /out \
 && npm pack --pack-destination /out --no-audit --no-fund \
 && tar -xzf /out/k0rdent-mcp-server-*.tgz -C /out \
 && cp package-lock.json /out/package/

# Run: the package and its runtime dependencies only.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    LISTEN_ADDR=0.0.0.0:6767
WORKDIR /app
COPY --from=build /out/package/ ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && rm package-lock.json
# The node image's unprivileged user (uid/gid 1000); the manifests run it with runAsNonRoot.
USER 1000:1000
EXPOSE 6767
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["serve", "--stateless"]
