# signwarden — the README's two commands are `make demo` and `make test`.
# Every target installs what it needs first (npm packages, Debian packages, the Go-built
# control plane and registry, cached under ~/.cache/signwarden), and is safe to run again.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
# The Node 24 that package.json pins (installed by npm ci) comes first on PATH.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

DEBIAN_PACKAGES := openssl
NODE := node_modules/.bin/node

.PHONY: test deps tools lint typecheck unit e2e crds build cluster-up cluster-down demo image bench

test: deps tools lint typecheck ## Lint, typecheck, unit and end-to-end tests.
	$(NODE) scripts/run-tests.ts

deps: node_modules/.stamp ## npm packages and Debian packages.
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then apt-get update -qq && apt-get install -y -qq $$missing; fi

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

tools: ## Build (or reuse) kube-apiserver, kube-controller-manager, kubectl, etcd and the registry.
	@bash hack/tools/build.sh >/dev/null

lint: deps
	eslint .
	prettier --check .

typecheck: deps
	tsc -p tsconfig.json --noEmit

unit: deps ## Unit tests only (no control plane).
	vitest run --project unit

e2e: deps tools ## End-to-end tests only.
	vitest run --project e2e

crds: deps ## Regenerate crds/ from src/api.
	$(NODE) scripts/gen-crds.ts

build: deps ## Compile to dist/ (what the container image runs).
	tsc -p tsconfig.build.json

cluster-up: deps tools ## Start a local control plane and registry; prints how to use them.
	$(NODE) hack/cluster.ts up

cluster-down: deps ## Stop what cluster-up started.
	$(NODE) hack/cluster.ts down

demo: deps tools ## The product tour on a local control plane.
	$(NODE) hack/demo.ts

bench: deps tools ## Benchmarks on loopback: digests judged beside cosign verify; continuity figures; enforcement cost (docs/performance.md). BENCH_ONLY=observe|continuity|enforcement runs one.
	@case "$${BENCH_ONLY:-}" in ''|observe|continuity|enforcement) ;; *) echo "BENCH_ONLY must be observe, continuity or enforcement" >&2; exit 2;; esac
	@if [ -z "$${BENCH_ONLY:-}" ] || [ "$$BENCH_ONLY" = observe ]; then $(NODE) bench/observe.ts; fi
	@if [ -z "$${BENCH_ONLY:-}" ] || [ "$$BENCH_ONLY" = continuity ]; then $(NODE) bench/continuity.ts; fi
	@if [ -z "$${BENCH_ONLY:-}" ] || [ "$$BENCH_ONLY" = enforcement ]; then $(NODE) bench/enforcement.ts; fi

IMG ?= signwarden:dev
image: ## Build the container image (needs a Docker engine).
	docker build -t $(IMG) .
