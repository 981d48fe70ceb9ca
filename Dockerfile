# syntax=docker/dockerfile:1

# One image for every vodq subcommand: `docker run IMAGE worker`,
# `docker run IMAGE serve`, `docker run IMAGE emulator -addr 0.0.0.0:9400`.
#
#   docker build --build-arg VERSION=1.2.3 -t vodq:1.2.3 .
#
# There is no HEALTHCHECK: the orchestrator probes /healthz and /readyz on
# VODQ_WORKER_ADDR (worker) or VODQ_HTTP_ADDR (serve).

FROM golang:1.26-bookworm AS build
WORKDIR /src

# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY . .
ARG VERSION=dev
# The same command as `make build` (deploy/deploy_test.go keeps them equal).
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/vodq/vodq/internal/cli.Version=${VERSION}" -o /out/vodq ./cmd/vodq
RUN /out/vodq version

# Static base: CA certificates, time zone data, /etc/passwd with the nonroot
# user (65532), and nothing else: no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/vodq /vodq
USER 65532:65532
# 8080: `vodq serve` (VODQ_HTTP_ADDR); 9090: the worker's /metrics and health
# (VODQ_WORKER_ADDR). Both bind to loopback unless those variables say
# otherwise.
EXPOSE 8080 9090
ENTRYPOINT ["/vodq"]
CMD ["help"]
