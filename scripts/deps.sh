#!/usr/bin/env bash
# deps.sh: install the system packages the integration tests use, from Debian, only when missing.
#
#   kcat        a real third-party Kafka client (readiness probe, produce/consume in tests)
#   prometheus  the Prometheus server and promtool (scripts/prometheus.sh, rule and config checks)
#   Java 17+ and Maven, if absent, to run the broker (scripts/kafka.sh); the usual image has both.
#   word lists and fortunes (wamerican, wngerman, ..., fortunes, fortunes-de, ...): English and other
#               text this project did not write, for the lexicon's precision test (docs/lexicon.md)
#   python3 with venv, if absent: the C2PA cross-check installs the reference implementation
#               (c2pa-python) into a private virtual environment (internal/pyvenv).
#
# Idempotent and quiet: when everything is present it prints one line and does not touch apt.
# Needs root (or sudo) only when something is missing.
set -euo pipefail

say() { printf 'deps.sh: %s\n' "$*" >&2; }

missing=()
command -v kcat >/dev/null || command -v kafkacat >/dev/null || missing+=(kcat)
command -v prometheus >/dev/null && command -v promtool >/dev/null || missing+=(prometheus)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v curl >/dev/null || missing+=(curl)
for pkg in wamerican:american-english wngerman:ngerman wfrench:french wspanish:spanish witalian:italian \
	wdutch:dutch wswedish:swedish wdanish:danish wnorwegian:bokmaal wpolish:polish wportuguese:portuguese; do
	[[ -e /usr/share/dict/${pkg#*:} ]] || missing+=("${pkg%%:*}")
done
for pkg in fortunes:fortunes fortunes-de:de/anekdoten fortunes-es:es fortunes-it:it fortunes-ru:ru; do
	[[ -e /usr/share/games/fortunes/${pkg#*:} ]] || missing+=("${pkg%%:*}")
done
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)

if [[ ${#missing[@]} -eq 0 ]]; then
	say "kcat, prometheus, promtool, java, mvn, curl, word lists, fortunes, python3 venv: present"
	exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
	command -v sudo >/dev/null || {
		say "error: need root to install: ${missing[*]}"
		exit 1
	}
	sudo=(sudo)
fi

say "installing with apt-get: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "${sudo[@]}" apt-get update -qq >"$log" 2>&1 ||
	! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
	cat "$log" >&2
	say "error: apt-get failed (see above)"
	exit 1
fi
# The Debian package starts a system Prometheus on :9090 where an init system runs; tests start
# their own on loopback with scripts/prometheus.sh, so stop that one if it is there.
if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
	"${sudo[@]}" systemctl stop prometheus >/dev/null 2>&1 || true
	"${sudo[@]}" systemctl disable prometheus >/dev/null 2>&1 || true
fi
say "installed: ${missing[*]}"
