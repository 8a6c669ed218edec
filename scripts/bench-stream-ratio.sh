#!/usr/bin/env bash
# Measure issue 16's target: records/s of `flagged` against the pass-through on the realistic
# mix (BenchmarkStreamModes), through the script-started broker on this machine's cores.
# Runs PAIRS pairs (default 10), one mode per process, the order alternating from pair to
# pair; prints each run, each pair's ratio, and the medians.
#
#   scripts/bench-stream-ratio.sh                 # 10 pairs of 1,000,000 records
#   PAIRS=6 RECORDS=200000 MIX=current scripts/bench-stream-ratio.sh
#   PGO=off scripts/bench-stream-ratio.sh         # without profile-guided optimisation
#
# The test binary is built with cmd/aigcwatch/default.pgo, as `go build` builds the aigcwatch
# binary (scripts/pgo-profile.sh), so that the figures are those of what ships; PGO=off or
# another profile's path overrides it.
#
# The broker must be up (scripts/kafka.sh up) and warm: the first minutes after a start run
# the JVM's compiler and cost the broker several times its usual CPU a record. Run nothing
# else meanwhile: both processes share the cores, and the ratio is about that of their CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${PAIRS:-10}
RECORDS=${RECORDS:-1000000}
MIX=${MIX:-realistic}
PGO=${PGO:-cmd/aigcwatch/default.pgo}
bin=$(mktemp)
trap 'rm -f "$bin"' EXIT
go test -c -pgo="$PGO" -o "$bin" ./pipeline/stream
cd pipeline/stream
run() {
	"$bin" -test.run '^$' -test.bench "StreamModes/mix=$MIX/mode=$1\$" -test.benchtime "${RECORDS}x" 2>&1 |
		awk -v mode="$1" '/^Benchmark/ {
			for (i = 1; i < NF; i++) m[$(i+1)] = $i
			printf "%s rec/s=%.0f client-us=%s broker-us=%s\n", mode, m["rec/s"], m["client-cpu-us/rec"], m["broker-cpu-us/rec"]
			found = 1
		}
		END { if (!found) { print mode " failed" > "/dev/stderr"; exit 1 } }'
}
for i in $(seq "$PAIRS"); do
	if ((i % 2)); then order="flagged passthrough"; else order="passthrough flagged"; fi
	for m in $order; do
		echo "pair $i $(run "$m")"
	done
done | awk '
	{ print; split($4, r, "="); rate[$2, $3] = r[2] }
	END {
		for (i = 1; rate[i, "flagged"] != ""; i++) {
			q = rate[i, "flagged"] / rate[i, "passthrough"]
			ratios[i] = q; f[i] = rate[i, "flagged"]; p[i] = rate[i, "passthrough"]
			if (q >= 0.7) met++
			printf "pair %d: flagged/pass-through %.2f\n", i, q
		}
		n = i - 1
		printf "median of %d pairs: %.2f (pairs at or above 0.7: %d); median rec/s flagged %.0f, pass-through %.0f\n",
			n, median(ratios, n), met, median(f, n), median(p, n)
	}
	function median(a, n,   b, i, j, t) {
		for (i = 1; i <= n; i++) b[i] = a[i]
		for (i = 2; i <= n; i++) for (j = i; j > 1 && b[j-1] > b[j]; j--) { t = b[j]; b[j] = b[j-1]; b[j-1] = t }
		return n % 2 ? b[(n+1)/2] : (b[n/2] + b[n/2+1]) / 2
	}'
