# Build, test and package vodq. `make help` lists the targets.
#
# VERSION is stamped into the binary (`vodq version` prints it). It defaults
# to `git describe`, or "dev" outside a git checkout.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
IMAGE   ?= vodq:$(VERSION)
GO      ?= go
BIN     ?= bin/vodq

.PHONY: all help build test vet fmt check docker bench clean

all: check build

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# The Dockerfile runs the same command (deploy/deploy_test.go keeps the two
# equal): a static binary, no local paths, the version stamped in.
build: ## build a static binary into bin/vodq
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X github.com/vodq/vodq/internal/cli.Version=$(VERSION)" -o $(BIN) ./cmd/vodq

test: ## run every test (needs redis-server on PATH; .ci/run installs what CI needs)
	$(GO) test ./... -count=1

vet: ## run go vet
	$(GO) vet ./...

fmt: ## fail when a file is not gofmt-formatted
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi

check: fmt vet test ## fmt, vet and test

docker: ## build the container image (same go build command as `make build`)
	docker build --build-arg VERSION=$(VERSION) -t $(IMAGE) .

bench: ## measure throughput against the quota
	$(GO) run ./cmd/vodq bench

clean: ## remove build output
	rm -rf bin dist
