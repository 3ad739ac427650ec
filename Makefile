# tracemap: build, run and test the collector distribution.
# Tools are installed at pinned versions into ./bin on first use.

SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
DISTRO := distro/otelcol-tracemap

OCB_VERSION := v0.161.0
STATICCHECK_VERSION := v0.8.2
VERSITYGW_VERSION := v1.8.0

OCB := $(BIN)/builder
STATICCHECK := $(BIN)/staticcheck
VERSITYGW := $(BIN)/versitygw

# The distro depends on every non-test Go file of the module: a component
# change rebuilds it, a test change does not.
SOURCES := $(shell find . -name '*.go' -not -name '*_test.go' -not -path './distro/*' -not -path './bin/*' -not -path '*/testdata/*') \
	builder-config.yaml go.mod go.sum

.PHONY: all build run demo test bench soak loadtest-gateway lint generate loadtest tools clean

all: build

build: $(DISTRO)

$(DISTRO): $(SOURCES) | $(OCB)
	$(OCB) --config builder-config.yaml
	@touch $@

$(OCB):
	GOBIN=$(BIN) $(GO) install go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)

$(STATICCHECK):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(VERSITYGW):
	GOBIN=$(BIN) $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

tools: $(OCB) $(STATICCHECK) $(VERSITYGW)

## run: build the distro and run it on the default config; output lands in ./out/
run: build
	@mkdir -p out
	@echo "tracemap: OTLP gRPC on 127.0.0.1:4317, OTLP/HTTP on 127.0.0.1:4318; output under ./out/"
	./$(DISTRO) --config distro/config.yaml

## demo: the demo shop sending traces to the full pipeline; pictures under ./out/
demo: build
	scripts/demo.sh

## test: unit, integration and end-to-end tests against the built distro
test: build $(VERSITYGW)
	PATH="$(BIN):$$PATH" TRACEMAP_DISTRO=$(CURDIR)/$(DISTRO) $(GO) test -race -count=1 -timeout 25m ./...

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

## loadtest-gateway: plain, gateway without tracemap, full gateway, at a sustained rate, in one run
loadtest-gateway: build
	$(GO) run ./cmd/loadtest -distro $(DISTRO) -a test/load/plain.yaml -b test/load/gateway-baseline.yaml \
		-c test/load/gateway-full.yaml -duration 30s -drain 15s -rate 60000

## soak: ten minutes of the full gateway at 60k spans/s, RSS every 30s
soak: build
	$(GO) run ./cmd/loadtest -distro $(DISTRO) -a test/load/gateway-full.yaml -duration 10m -drain 15s \
		-rate 60000 -rss-every 30s

lint: $(STATICCHECK)
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v /testdata/)); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

generate:
	$(GO) generate ./...

clean:
	rm -rf out bin
	find distro -mindepth 1 -not -name config.yaml -delete
