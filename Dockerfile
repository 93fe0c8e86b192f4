# photosortd in a container. Not built or run in this repository's tests (no Docker engine
# where it was written): see "Docker" in README.md.

FROM node:22-slim AS build
WORKDIR /app
# better-sqlite3 compiles when no prebuilt binary fits; sharp and onnxruntime-node ship theirs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY . .
# `npm ci` builds dist/ (the prepare script); then the dev tools go. node:22's npm 10 does not
# read package.json's allowScripts, so onnxruntime-node is told by its own switch not to
# download CUDA libraries.
ENV ONNXRUNTIME_NODE_INSTALL=skip
RUN npm ci && npm prune --omit=dev

FROM node:22-slim
# perl runs exiftool; tini reaps exiftool's processes and passes SIGTERM/SIGHUP on.
RUN apt-get update \
 && apt-get install -y --no-install-recommends perl tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/config ./config
COPY --from=build /app/models/README.md ./models/README.md
RUN ln -s /app/bin/photosortd /usr/local/bin/photosortd \
 && mkdir -p /inbox /library /state /config \
 && chown node:node /inbox /library /state /config
ENV NODE_ENV=production \
    STATE_DIRECTORY=/state
USER node
VOLUME ["/inbox", "/library", "/state"]
# The API listens on 127.0.0.1 inside the container; the healthcheck and
# `docker compose exec photosortd photosortd status` ask it from there.
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s \
  CMD ["photosortd", "status", "--config", "/config/photosortd.config.yaml"]
ENTRYPOINT ["tini", "--", "photosortd"]
CMD ["run", "--config", "/config/photosortd.config.yaml"]
