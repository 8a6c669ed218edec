#!/usr/bin/env bash
# prometheus.sh: a Prometheus server on loopback for development and tests (Debian's package;
# scripts/deps.sh installs it).
#
#   scripts/prometheus.sh up CONFIG   check CONFIG with promtool, start, wait for /-/ready
#   scripts/prometheus.sh down        stop (SIGTERM, then SIGKILL after a bound)
#   scripts/prometheus.sh status      exit 0 when ready, 3 when down
#   scripts/prometheus.sh logs        print the log path and its tail
#
# `up` with a server already running restarts it when CONFIG (path or content) changed, and is
# a no-op otherwise. Data is kept in the state directory between runs; `down` leaves it.
#
# Environment (all optional):
#   PROMETHEUS_PORT          listen port on 127.0.0.1 (default 9090)
#   AIGCWATCH_PROM_STATE     state: data, log, pid (default $HOME/.cache/aigcwatch/prometheus-$PORT)
#   PROMETHEUS_START_TIMEOUT seconds to wait for /-/ready (default 60)
set -euo pipefail

PORT=${PROMETHEUS_PORT:-9090}
STATE=${AIGCWATCH_PROM_STATE:-${XDG_CACHE_HOME:-$HOME/.cache}/aigcwatch/prometheus-$PORT}
START_TIMEOUT=${PROMETHEUS_START_TIMEOUT:-60}
ADDR="127.0.0.1:$PORT"
PIDFILE="$STATE/prometheus.pid"
LOG="$STATE/prometheus.log"
STAMP="$STATE/config.stamp"

NAME=prometheus.sh
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# pid prints the server's pid when the pid file names a live prometheus using our data dir.
pid() {
	local p
	p=$(cat "$PIDFILE" 2>/dev/null || true)
	[[ -n $p && -r /proc/$p/cmdline ]] || return 1
	tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "--storage.tsdb.path=$STATE/data" || return 1
	echo "$p"
}

ready() {
	curl -fsS --max-time 2 "http://$ADDR/-/ready" >/dev/null 2>&1
}

stop() {
	local p
	p=$(pid) || {
		rm -f "$PIDFILE"
		say "not running"
		return 0
	}
	kill -TERM "$p" 2>/dev/null || true
	local deadline=$((SECONDS + 20))
	while kill -0 "$p" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			kill -KILL "$p" 2>/dev/null || true
		fi
		sleep 0.2
	done
	rm -f "$PIDFILE"
	say "stopped (pid $p)"
}

cmd_up() {
	[[ $# -eq 1 ]] || die "usage: prometheus.sh up CONFIG"
	local config
	config=$(realpath -e "$1") || die "config file $1 not found"
	command -v prometheus >/dev/null || die "prometheus not found: run scripts/deps.sh"
	command -v promtool >/dev/null || die "promtool not found: run scripts/deps.sh"
	command -v curl >/dev/null || die "curl not found: run scripts/deps.sh"
	local out
	out=$(promtool check config "$config" 2>&1) || die "promtool check config $config failed:"$'\n'"$out"
	lock
	local want p
	want="$config $(sha256sum "$config" | cut -d' ' -f1)"
	if p=$(pid); then
		if [[ $(cat "$STAMP" 2>/dev/null) == "$want" ]] && ready; then
			say "already up on http://$ADDR (pid $p) with $config; log: $LOG"
			return 0
		fi
		say "config changed: restarting"
		stop
	fi
	if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
		die "port $PORT is taken by another process; set PROMETHEUS_PORT"
	fi
	mkdir -p "$STATE/data"
	echo "$want" >"$STAMP"
	say "starting Prometheus on http://$ADDR with $config"
	setsid prometheus --config.file="$config" --web.listen-address="$ADDR" \
		--storage.tsdb.path="$STATE/data" --storage.tsdb.retention.time=1d \
		--web.enable-lifecycle </dev/null >>"$LOG" 2>&1 9>&- &
	p=$!
	echo "$p" >"$PIDFILE"
	local deadline=$((SECONDS + START_TIMEOUT))
	until ready; do
		if ! kill -0 "$p" 2>/dev/null || ((SECONDS >= deadline)); then
			say "error: Prometheus did not become ready on http://$ADDR within ${START_TIMEOUT}s; last lines of $LOG:"
			tail -n 30 "$LOG" >&2
			exit 1
		fi
		sleep 0.3
	done
	say "up on http://$ADDR (pid $p); log: $LOG"
}

cmd_status() {
	local p
	if p=$(pid) && ready; then
		echo "up: http://$ADDR pid $p config $(cut -d' ' -f1 "$STAMP") log $LOG"
		return 0
	fi
	if [[ -n ${p:-} ]]; then
		echo "not ready: pid $p on http://$ADDR; log $LOG"
		return 1
	fi
	echo "down: http://$ADDR"
	return 3
}

cmd_logs() {
	echo "$LOG"
	tail -n 100 "$LOG" 2>/dev/null || say "no log yet at $LOG"
}

[[ $# -ge 1 ]] || usage
cmd=$1
shift
case $cmd in
up) cmd_up "$@" ;;
down)
	lock
	stop
	;;
status) cmd_status ;;
logs) cmd_logs ;;
-h | --help | help) usage ;;
*)
	say "unknown command: $cmd"
	usage
	;;
esac
