# qmonit: make targets. `make test` is the README's test command.
SHELL     := /bin/bash
GO        ?= go
PKGS      ?= ./...
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/qmonit/qmonit/internal/app.Version=$(VERSION)
GOLANGCI  := github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
FUZZTIME  ?= 10s
BENCHTIME ?= 1s

.PHONY: all build test test-short test-integration check fmt lint fuzz bench demo sim clean screenshots assets

all: check test build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/qmonit ./cmd/qmonit

# The README's test command: vet and race-enabled tests over everything. Tests
# that need a real server skip, saying why, when it is not running.
test:
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -v $(PKGS) | grep -Ev "^(=== (RUN|PAUSE|CONT|NAME)|    --- PASS|--- PASS)" ; exit $${PIPESTATUS[0]}

test-short:
	$(GO) test -race -short $(PKGS)

# Integration tests against real servers: uses the servers named by
# INFLUX_URL etc. when set, else starts them (scripts/services-start.sh).
test-integration:
	GO=$(GO) bash scripts/test-integration.sh

fmt:
	gofmt -w $$(git ls-files '*.go')

lint:
	$(GO) run $(GOLANGCI) run $(PKGS)

check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) mod tidy -diff
	$(GO) run $(GOLANGCI) run $(PKGS)

# Runs every Go fuzz target for FUZZTIME each.
fuzz:
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(PKGS)

# PNGs of each UI page for the README (docs/img/, or $$QMONIT_SCREENSHOTS),
# taken in headless Chromium over the default simulated grid.
screenshots:
	bash scripts/screenshots.sh

sim: build
	bin/qmonit sim --listen 127.0.0.1:8765

clean:
	rm -rf bin

# Rebuilds the web UI's third-party assets (uPlot, pinned in web/package.json)
# into internal/web/assets/vendor/. The output is committed: `go build` never
# needs npm.
assets:
	cd web && npm ci --ignore-scripts --no-audit --no-fund && npm run build
