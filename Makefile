# aigcwatch — see README.md. `make run` scans the sample stream; `make test` runs everything.
GO       ?= go
BIN      := bin/aigcwatch
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
PKGS     := ./...
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCHSTAT   := golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
FUZZTIME ?= 20s
BENCHCOUNT ?= 6

KAFKA_PORT ?= 9092
export KAFKA_PORT

.PHONY: all build run test test-short bench bench-kafka fuzz lint fmt tidy-check deps \
	pgo kafka-up kafka-down kafka-restart kafka-status kafka-logs prometheus-up prometheus-down dashboards dashboards-png clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/aigcwatch

## run: build, then judge the embedded sample stream and print the summary.
run: build
	@mkdir -p bin/out
	$(BIN) scan examples/stream.jsonl --out bin/out/verdicts.jsonl --incidents bin/out/incidents.jsonl --dlq bin/out/dlq.jsonl
	@echo
	@echo "verdicts:  bin/out/verdicts.jsonl ($$(wc -l < bin/out/verdicts.jsonl) lines)"
	@echo "incidents: bin/out/incidents.jsonl ($$(wc -l < bin/out/incidents.jsonl) CloudEvents: $$(grep -c '"type":"org.aigcwatch.incident.v1"' bin/out/incidents.jsonl) incidents, $$(grep -c '"type":"org.aigcwatch.enforcement.level_changed.v1"' bin/out/incidents.jsonl) level changes)"
	@echo "rejected:  bin/out/dlq.jsonl ($$(wc -l < bin/out/dlq.jsonl) lines)"

## test: vet, then every test with the race detector, including the integration tests
## against a real Kafka broker (installed and started by scripts/kafka.sh).
test: deps kafka-up
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 40m $(PKGS)

## test-short: unit tests only, no broker (integration tests skip with a message).
test-short:
	$(GO) test -short -race -count=1 $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) $(PKGS) | tee bin/bench.txt
	$(GO) run $(BENCHSTAT) bin/bench.txt

## pgo: regenerate cmd/aigcwatch/default.pgo, the profile `go build` optimises the binary
## with, from the stream benchmark against the script-started broker.
pgo: kafka-up
	scripts/pgo-profile.sh

## fuzz: run each fuzz target for FUZZTIME.
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

lint: tidy-check
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: run make fmt"; exit 1; }
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

tidy-check:
	@cp go.mod /tmp/aigcwatch.go.mod.bak; cp go.sum /tmp/aigcwatch.go.sum.bak; \
	$(GO) mod tidy; ok=1; git diff --quiet go.mod go.sum || ok=0; \
	cp /tmp/aigcwatch.go.mod.bak go.mod; cp /tmp/aigcwatch.go.sum.bak go.sum; \
	test $$ok = 1 || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

## deps: system packages the tests use (kcat, prometheus), installed when missing.
deps:
	scripts/deps.sh

## kafka-*: the local single-node broker on 127.0.0.1:$(KAFKA_PORT) (jars from Maven Central).
kafka-up:
	scripts/kafka.sh up

kafka-down:
	scripts/kafka.sh down

kafka-restart:
	scripts/kafka.sh restart

kafka-status:
	scripts/kafka.sh status

kafka-logs:
	scripts/kafka.sh logs

prometheus-up:
	scripts/prometheus.sh up deploy/prometheus/prometheus.yml

prometheus-down:
	scripts/prometheus.sh down

## dashboards: regenerate deploy/grafana/dashboards/*.json from deploy/grafana/dashboards.go.
dashboards:
	$(GO) test ./deploy/grafana -run TestDashboardsUpToDate -update -count=1

## dashboards-png: run the end-to-end observability test (real broker and Prometheus) and
## write docs/observability-overview.png from its data.
dashboards-png: deps kafka-up
	AIGCWATCH_WRITE_PNG=1 $(GO) test ./cmd/aigcwatch -run TestObservabilityEndToEnd -count=1 -v -timeout 15m

## bench-kafka: the pass-through reference rate through the real broker.
bench-kafka: kafka-up
	$(GO) test -run '^$$' -bench PassThrough -benchtime 500000x -count 6 ./internal/kafkatest

clean:
	rm -rf bin

## bench-serve: load-test `aigcwatch serve` on loopback (ARGS go to aigcwatch-loadgen).
.PHONY: bench-serve
bench-serve:
	scripts/bench-serve.sh $(ARGS)

## simulate: simulated providers over 30 days through the real engine and the CN
## enforcement ladder, risk appetite off and on: docs/enforcement-simulation.{png,md}.
.PHONY: simulate
simulate:
	$(GO) run ./examples/simulate -out docs
