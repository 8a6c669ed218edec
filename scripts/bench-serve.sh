#!/usr/bin/env bash
# Load-test `aigcwatch serve` on loopback with the project's open-loop load generator.
# Both run on this machine, as the figures in docs/BENCHMARKS.md were taken.
#
#   scripts/bench-serve.sh --rate 5000 --duration 10s            # single records
#   scripts/bench-serve.sh --rate 50 --batch 100 --duration 10s  # batches of 100
#
# Arguments go to aigcwatch-loadgen (--help lists them). PORT picks the port (18080).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-18080}
go build -o bin/aigcwatch ./cmd/aigcwatch
go build -o bin/aigcwatch-loadgen ./cmd/aigcwatch-loadgen
tmp=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
head -c 24 /dev/urandom | base64 | tr -d '\n' > "$tmp/tokens"
bin/aigcwatch serve --addr "127.0.0.1:$PORT" --token-file "$tmp/tokens" \
	--incidents-file "$tmp/incidents.jsonl" --watch=false --log-level warn &
pid=$!
for _ in $(seq 100); do
	curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break
	sleep 0.1
done
curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || { echo "serve did not become ready" >&2; exit 1; }
bin/aigcwatch-loadgen --url "http://127.0.0.1:$PORT" --token-file "$tmp/tokens" "$@"
