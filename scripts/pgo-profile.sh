#!/usr/bin/env bash
# Regenerate cmd/aigcwatch/default.pgo, the CPU profile `go build` uses for profile-guided
# optimisation of the aigcwatch binary (Go picks up default.pgo in the main package's
# directory by itself; see https://go.dev/doc/pgo).
#
# The profile is the product's own streaming work: `aigcwatch run` through the script-started
# broker (BenchmarkStreamModes' timed window, AIGCWATCH_BENCH_CPUPROFILE), on the realistic
# mix in each verdict mode and on the HC3 provider records in the default mode, merged. The
# pass-through baseline is left out: it is not something the product runs.
#
#   scripts/kafka.sh up && scripts/pgo-profile.sh        # about two minutes
#
# Regenerate after a change that moves the hot path (a new detector, a rewritten scan); a
# stale profile costs some of the gain, never correctness. Run nothing else meanwhile.
# Then run `go test -run HotPathInlined ./cmd/aigcwatch` (a new profile can take inlining
# away from a per-byte helper) and compare judging's instructions with the old profile's
# (docs/benchmarks/streaming.md); keep the better one.
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS=${RECORDS:-1000000}
out=cmd/aigcwatch/default.pgo
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Built without a profile, so the new one does not inherit the old one's inlining.
go test -c -pgo=off -o "$tmp/stream.test" ./pipeline/stream
profiles=()
for spec in "realistic/mode=all $RECORDS" "realistic/mode=compact $RECORDS" "realistic/mode=flagged $RECORDS" \
	"current/mode=all $((RECORDS / 5))"; do
	read -r bench n <<<"$spec"
	prof="$tmp/${bench//[\/=]/_}.prof"
	(cd pipeline/stream && AIGCWATCH_BENCH_CPUPROFILE="$prof" "$tmp/stream.test" -test.run '^$' \
		-test.bench "StreamModes/mix=$bench\$" -test.benchtime "${n}x" | grep '^Benchmark')
	profiles+=("$prof")
done
go tool pprof -proto "${profiles[@]}" >"$tmp/merged.pgo"
mv "$tmp/merged.pgo" "$out"
echo "pgo-profile.sh: wrote $out ($(wc -c <"$out") bytes) from ${#profiles[@]} profiles"
