# tracemap: build, run and test the collector distribution.
# Tools are installed at pinned versions into ./bin on first use.

SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
DISTRO := distro/otelcol-tracemap

# Every release version (core, contrib, ocb, tools) lives in versions.mk;
# test/drift checks the manifests, go.mod and the built distro against it.
include versions.mk

OCB := $(BIN)/builder
GOLANGCI_LINT := $(BIN)/golangci-lint
VERSITYGW := $(BIN)/versitygw

# The distro depends on every non-test Go file of the module: a component
# change rebuilds it, a test change does not.
SOURCES := $(shell find . -name '*.go' -not -name '*_test.go' -not -path './distro/*' -not -path './bin/*' -not -path '*/testdata/*') \
	builder-config.yaml go.mod go.sum

.PHONY: all build ocb run demo test test-unit bench soak loadtest-gateway loadtest-stages lint generate loadtest upgrade-check tools clean

all: build

build: $(DISTRO)

$(DISTRO): $(SOURCES) | $(OCB)
	$(OCB) --config builder-config.yaml
	@touch $@

ocb: $(OCB)

$(OCB):
	GOBIN=$(BIN) $(GO) install go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)

$(GOLANGCI_LINT):
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

$(VERSITYGW):
	GOBIN=$(BIN) $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

tools: $(OCB) $(GOLANGCI_LINT) $(VERSITYGW)

## run: build the distro and run it on the default config; output lands in ./out/
## (RUN_CONFIG=my.yaml runs another config, e.g. one with other ports)
RUN_CONFIG ?= distro/config.yaml
run: build
	@mkdir -p out
	@echo "tracemap: OTLP gRPC on 127.0.0.1:4317, OTLP/HTTP on 127.0.0.1:4318 (as $(RUN_CONFIG) says); output under ./out/"
	./$(DISTRO) --config $(RUN_CONFIG)

## demo: the demo shop sending traces to the full pipeline; pictures under ./out/
demo: build
	scripts/demo.sh

## test: every test: the unit tier, then the e2e tier (files tagged e2e:
## they run the built distro), and the operator resources in their own module
test: build $(VERSITYGW)
	PATH="$(BIN):$$PATH" TRACEMAP_DISTRO=$(CURDIR)/$(DISTRO) $(GO) test -race -count=1 -tags e2e -timeout 25m ./...
	cd test/operator && $(GO) test -count=1 ./...

## test-unit: the unit tests only; builds no distro (no e2e tag), and
## -short leaves out the long ones (a million-span picture); make test runs them
test-unit:
	$(GO) test -race -count=1 -short ./...

## gallery: render the picture corpus and the demo into docs/gallery/ (SVG + Chromium PNG), checking their geometry
.PHONY: gallery
gallery:
	@mkdir -p docs/gallery
	$(GO) test -count=1 -run '^TestBrowserGeometry$$' ./internal/svgrender/ -args -gallery=$(CURDIR)/docs/gallery

## bench: every go benchmark once (figures in BENCHMARKS.md)
bench: build
	TRACEMAP_DISTRO=$(CURDIR)/$(DISTRO) $(GO) test -run '^$$' -bench . -benchmem ./...

## loadtest: the load harness, plain pipeline against the default config, in one run
loadtest: build
	$(GO) run ./cmd/loadtest -distro $(DISTRO) \
		-a test/load/plain.yaml -b distro/config.yaml -duration 30s -rounds 2

## loadtest-gateway: plain, gateway without tracemap, full gateway, at a sustained rate, all three
## at once (each with its own copy of the load), three rounds
loadtest-gateway: build
	$(GO) run ./cmd/loadtest -distro $(DISTRO) -a test/load/plain.yaml -b test/load/gateway-baseline.yaml \
		-c test/load/gateway-full.yaml -duration 30s -drain 15s -rate 60000 -together -rounds 3

## loadtest-stages: the full gateway's extra cost split by stage: counting alone, then with
## annotation and layout, then with the svg exporter, each beside the gateway without tracemap
loadtest-stages: build
	$(GO) run ./cmd/loadtest -distro $(DISTRO) -a test/load/gateway-baseline.yaml -b test/load/gateway-counting.yaml \
		-c test/load/gateway-nosvg.yaml -duration 30s -drain 15s -rate 60000 -together -rounds 3
	$(GO) run ./cmd/loadtest -distro $(DISTRO) -a test/load/gateway-baseline.yaml -b test/load/gateway-nosvg.yaml \
		-c test/load/gateway-full.yaml -duration 30s -drain 15s -rate 60000 -together -rounds 3

## soak: ten minutes of the full gateway at 60k spans/s, RSS every 30s
soak: build
	$(GO) run ./cmd/loadtest -distro $(DISTRO) -a test/load/gateway-full.yaml -duration 10m -drain 15s \
		-rate 60000 -rss-every 30s

## lint: gofmt, then golangci-lint (.golangci.yml: govet, staticcheck,
## errcheck, gosec, revive) on both tiers; go vet on test/operator (its own
## module: one test file over the operator's Kubernetes types)
lint: $(GOLANGCI_LINT)
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v /testdata/)); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GOLANGCI_LINT) run ./...
	cd test/operator && $(GO) vet ./...

## upgrade-check VERSION=v0.x.y: does the module proxy serve every component
## of the manifests, and what they require, at that release?
upgrade-check:
	@test -n "$(VERSION)" || { echo "usage: make upgrade-check VERSION=v0.x.y"; exit 2; }
	$(GO) run ./cmd/upgradecheck -version $(VERSION)

generate:
	$(GO) generate ./...

clean:
	rm -rf out bin
	find distro -mindepth 1 -not -name config.yaml -delete
