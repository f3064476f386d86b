# syntax=docker/dockerfile:1
# meshmap: a Rust builder stage (the same setup and build scripts CI runs) and a small non-root
# nginx runtime. Base images are build arguments; see README "Container image".
#
#   docker build -t meshmap .                                  # full build, public base images
#   docker build --target runtime-prebuilt -t meshmap .        # runtime only, from ./dist
#   docker build --target api -t meshmap-api .                 # the API (api/), built here
#   docker build --target api-prebuilt -t meshmap-api .        # the API from target/release
ARG BUILDER_IMAGE=docker.io/library/rust:1.95-bookworm
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim

# ---- builder: toolchain and bundle ----------------------------------------------------------
FROM ${BUILDER_IMAGE} AS builder
WORKDIR /src
COPY . .
ARG MESHMAP_VERSION=dev
ENV PATH=/src/tools/node_modules/.bin:/usr/local/cargo/bin:$PATH
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm python3 brotli \
    && rm -rf /var/lib/apt/lists/* \
    && MESHMAP_SETUP_BUILD_ONLY=1 scripts/setup.sh \
    && MESHMAP_VERSION="$MESHMAP_VERSION" scripts/build.sh /dist

# ---- runtime base: nginx, non-root, read-only friendly --------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime-base
# A base made with mmdebstrap --include=nginx-light,... already has nginx; a public one gets it here.
RUN if ! command -v nginx >/dev/null; then \
      apt-get update && apt-get install -y --no-install-recommends nginx-light libnginx-mod-http-brotli-static \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
    && mkdir -p /srv/meshmap/conf/site /srv/meshmap/config-override \
    && ln -s /tmp /srv/meshmap/tmp
COPY nginx/nginx.conf nginx/security-headers.conf nginx/cors-preflight.conf /srv/meshmap/conf/
COPY nginx/site/ /srv/meshmap/conf/site/
COPY scripts/csp-origins.sh container/entrypoint.sh /srv/meshmap/
# Every write goes to /tmp (pid, temp bodies): run with --read-only and a tmpfs on /tmp.
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
# Derives the CSP's extra origins from the (mounted) config.json, then runs nginx.
CMD ["/srv/meshmap/entrypoint.sh"]

# ---- runtime from a dist built outside (make test, CI) ---------------------------------------
FROM runtime-base AS runtime-prebuilt
COPY dist/ /srv/meshmap/html/

# ---- runtime from the builder stage (the default target) -------------------------------------
FROM runtime-base AS runtime
COPY --from=builder /dist/ /srv/meshmap/html/

# ---- the data loader for the Kubernetes Job (k8s/base/database/loader-job.yaml) -------------
# ogr2ogr + psql + scripts/db-load.sh with the Natural Earth data fetched at build time, so the Job
# needs no registry access. Runs with DATABASE_URL set: `docker build --target loader .`
FROM ${RUNTIME_IMAGE} AS loader
USER root
RUN apt-get update && apt-get install -y --no-install-recommends gdal-bin postgresql-client python3 python3-pip ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/meshmap
COPY scripts/db-load.sh scripts/
COPY db/ db/
ENV MESHMAP_DATA_CACHE=/opt/meshmap/.cache
# Behind a TLS-intercepting proxy, pass its CA bundle: --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt
RUN --mount=type=secret,id=ca,required=false \
    if [ -f /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi; scripts/db-load.sh --fetch-only
USER 10001:10001
CMD ["scripts/db-load.sh"]

# ---- the API (api/): one static-enough binary on the Debian base, non-root, read-only root -----
FROM ${BUILDER_IMAGE} AS api-builder
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p meshmap-api && cp target/release/meshmap-api /meshmap-api

FROM ${RUNTIME_IMAGE} AS api-base
ENV LISTEN=0.0.0.0:8080 METRICS_LISTEN=0.0.0.0:9464
# 8080: /api/ and the probes; 9464: /metrics, for the scraper only.
EXPOSE 8080 9464
# It writes nothing: run with --read-only. SIGTERM finishes requests in flight, then exits.
USER 10001:10001
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
CMD ["/usr/local/bin/meshmap-api"]

FROM api-base AS api-prebuilt
COPY target/release/meshmap-api /usr/local/bin/meshmap-api

FROM api-base AS api
COPY --from=api-builder /meshmap-api /usr/local/bin/meshmap-api
