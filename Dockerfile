# syntax=docker/dockerfile:1
# The demo image of Support Analytics; docker-compose.yaml builds the "seed" and "grafana"
# targets. Stages: frontend (webpack), backend (plugin executable + seed), seed, grafana.

ARG GRAFANA_IMAGE=grafana/grafana:12.4.0
ARG PLUGIN_DIR=/var/lib/grafana/plugins/supportops-analytics-datasource

# Frontend: module.js, plugin.json, README.md, CHANGELOG.md, LICENSE, img/ and dashboards/
# into /src/dist.
FROM node:24-bookworm AS frontend
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

# Backend: the plugin executable for the image's architecture, built with the SDK's flags
# (static, stripped, build info), and the demo-data generator.
FROM golang:1.26-bookworm AS backend
ARG TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN arch="${TARGETARCH:-$(go env GOARCH)}" \
 && go tool mage -v build:custom linux "$arch" \
 && CGO_ENABLED=0 GOOS=linux GOARCH="$arch" go build -trimpath -ldflags "-w -s" -o /out/seed ./cmd/seed

# Seed: one-shot job that creates the schema and loads the demo data.
FROM debian:bookworm-slim AS seed
COPY --from=backend /out/seed /usr/local/bin/seed
USER nobody
ENTRYPOINT ["/usr/local/bin/seed"]

# Grafana with the plugin installed (unsigned: allowed by name in docker-compose.yaml).
FROM ${GRAFANA_IMAGE} AS grafana
ARG PLUGIN_DIR
COPY --from=frontend /src/dist/ ${PLUGIN_DIR}/
COPY --from=backend /src/dist/ ${PLUGIN_DIR}/
