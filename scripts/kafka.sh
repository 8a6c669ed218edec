#!/usr/bin/env bash
# kafka.sh: a single-node Apache Kafka broker (KRaft, combined broker+controller) on loopback, for
# development and integration tests. The jars come from Maven Central through deploy/kafka/pom.xml;
# no tarball, no Docker.
#
#   scripts/kafka.sh up                    install what is missing, start, wait until ready
#   scripts/kafka.sh down                  graceful stop (SIGTERM, then SIGKILL after a bound)
#   scripts/kafka.sh restart               down then up; the data (log dir) is kept
#   scripts/kafka.sh kill                  SIGKILL the broker (crash tests); data kept
#   scripts/kafka.sh status                exit 0 when up and answering, 3 when down
#   scripts/kafka.sh topic NAME PARTITIONS [compact]  create a topic if it does not exist (replication 1; compact: cleanup.policy=compact)
#   scripts/kafka.sh logs [-f]             print the log path and its tail (or follow it)
#   scripts/kafka.sh reset                 down, then delete the broker's data
#   scripts/kafka.sh fetch                 only install the jars (no broker)
#
# Every command is idempotent: `up` on a running broker and `down` on a stopped one succeed.
# Concurrent invocations (parallel test binaries) are serialised with flock on the state dir.
#
# Environment (all optional):
#   KAFKA_PORT             PLAINTEXT listener port on 127.0.0.1 (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller port on 127.0.0.1 (default KAFKA_PORT+1)
#   AIGCWATCH_KAFKA_LIBS   jar cache (default $HOME/.cache/aigcwatch/kafka/libs)
#   AIGCWATCH_KAFKA_STATE  broker state: config, data, logs, pid (default
#                          $HOME/.cache/aigcwatch/kafka/broker-$KAFKA_PORT)
#   KAFKA_HEAP_OPTS        JVM heap flags (default "-Xms256m -Xmx1g")
#   KAFKA_START_TIMEOUT    seconds to wait for readiness (default 90)
#   KAFKA_STOP_TIMEOUT     seconds to wait for a graceful stop before SIGKILL (default 30)
#   KCAT                   kcat binary for readiness probes (default: found on PATH); "none"
#                          probes with the Kafka topic tool instead (slower, no kcat needed)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEPLOY="$ROOT/deploy/kafka"
PORT=${KAFKA_PORT:-9092}
CPORT=${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/aigcwatch/kafka"
LIBS=${AIGCWATCH_KAFKA_LIBS:-$CACHE/libs}
STATE=${AIGCWATCH_KAFKA_STATE:-$CACHE/broker-$PORT}
HEAP=${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}
START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-30}
ADDR="127.0.0.1:$PORT"
PROPS="$STATE/server.properties"
PIDFILE="$STATE/kafka.pid"
LOG="$STATE/logs/server.log"
OUT="$STATE/logs/stdout.log"

NAME=kafka.sh
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_java() {
	command -v java >/dev/null || die "java not found: run scripts/deps.sh (installs a JRE) or install Java 17+"
	local v
	v=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
	[[ ${v%%.*} -ge 17 ]] || die "Kafka 4 needs Java 17 or later; $(command -v java) is Java $v"
}

# fetch copies the broker's runtime classpath into $LIBS once per version of pom.xml. Brokers on
# other ports share $LIBS, so it takes its own lock.
fetch() {
	mkdir -p "$(dirname "$LIBS")"
	exec 8>"$(dirname "$LIBS")/.fetch.lock"
	flock 8
	fetch_locked
	exec 8>&-
}

fetch_locked() {
	local stamp want
	want=$(sha256sum "$DEPLOY/pom.xml" | cut -d' ' -f1)
	stamp="$LIBS/.pom.sha256"
	if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
		return 0
	fi
	command -v mvn >/dev/null || die "mvn not found: run scripts/deps.sh (installs Maven) or install Maven 3"
	say "fetching Kafka jars from Maven Central into $LIBS (once)"
	local tmp
	tmp=$(mktemp -d "$(dirname "$LIBS")/libs.XXXXXX")
	if ! mvn -q -B -Dstyle.color=never -f "$DEPLOY/pom.xml" \
		org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
		cat "$tmp.log" >&2
		rm -rf "$tmp" "$tmp.log"
		die "could not fetch the Kafka jars with Maven (see above); is Maven Central reachable?"
	fi
	rm -f "$tmp.log"
	echo "$want" >"$tmp/.pom.sha256"
	rm -rf "$LIBS"
	mv "$tmp" "$LIBS"
}

# is_ours reports whether process $1 is this script's broker for $STATE (pids are reused).
is_ours() {
	[[ -n $1 && -r /proc/$1/cmdline ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "kafka.Kafka $PROPS"
}

# pid prints the broker's pid, from the pid file or, if that was lost, from the process table.
pid() {
	local p
	p=$(cat "$PIDFILE" 2>/dev/null || true)
	if ! is_ours "$p"; then
		p=$(pgrep -f -- "kafka\.Kafka $PROPS" | head -n 1 || true)
		is_ours "$p" || return 1
		echo "$p" >"$PIDFILE"
	fi
	echo "$p"
}

# port_open reports whether something accepts TCP connections on 127.0.0.1:$1.
port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# kcat_bin prints kcat's path, or nothing; KCAT=none forces the Kafka-tools fallback.
kcat_bin() {
	case ${KCAT:-} in
	none) return 0 ;;
	"") command -v kcat || command -v kafkacat || true ;;
	*) echo "$KCAT" ;;
	esac
}

# java_tool runs a Kafka command-line tool class, bounded to 60 s.
java_tool() {
	local class=$1
	shift
	timeout 60 java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
		-Dlog4j2.configurationFile="$DEPLOY/tools-log4j2.xml" \
		-cp "$LIBS/*" "$class" "$@"
}

# ready does one metadata round trip and checks the broker lists itself.
ready() {
	local k
	k=$(kcat_bin)
	if [[ -n $k ]]; then
		timeout 10 "$k" -b "$ADDR" -L -m 2 2>/dev/null | grep -q "^ *1 brokers:"
	else
		java_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$ADDR" --list >/dev/null 2>&1
	fi
}

write_props() {
	mkdir -p "$STATE/data" "$STATE/logs"
	cat >"$PROPS.tmp" <<EOF
# Generated by scripts/kafka.sh; edits are overwritten on the next \`up\`.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CPORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$STATE/data

# Single node: every internal topic has one replica.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

# Tests create their topics explicitly (a typo must not silently create a topic).
auto.create.topics.enable=false
num.partitions=6
delete.topic.enable=true

# Tests: join groups at once, allow short session timeouts for fail-over tests.
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000

# The controller fences a broker whose heartbeats stop for broker.session.timeout.ms. In this
# single JVM a CPU-starved controller (8.8 s event-loop stalls were seen at load average 50 on 2
# cores) fenced its own broker with 3 s: every partition lost its leader mid-test. 15 s keeps
# that from happening; the cost is that after a kill -9 the restarted broker is refused (duplicate
# registration) until the dead one's session expires, so kill-then-up takes about 15 s.
broker.session.timeout.ms=15000
broker.heartbeat.interval.ms=1000

# Keep the disk small: test data is disposable.
log.retention.ms=1800000
log.retention.bytes=268435456
log.segment.bytes=67108864
log.retention.check.interval.ms=60000
EOF
	mv "$PROPS.tmp" "$PROPS"
}

format() {
	[[ -f $STATE/data/meta.properties ]] && return 0
	local id
	[[ -f $STATE/cluster.id ]] || head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$STATE/cluster.id"
	id=$(cat "$STATE/cluster.id")
	say "formatting KRaft storage in $STATE/data (cluster $id)"
	java_tool kafka.tools.StorageTool format --cluster-id="$id" -c "$PROPS" --ignore-formatted >"$STATE/logs/format.log" 2>&1 ||
		{
			cat "$STATE/logs/format.log" >&2
			die "formatting storage failed"
		}
}

fail_start() {
	say "error: $1"
	say "last lines of $LOG:"
	tail -n 40 "$LOG" >&2 2>/dev/null || true
	if [[ -s $OUT ]]; then
		say "last lines of $OUT:"
		tail -n 20 "$OUT" >&2
	fi
	exit 1
}

cmd_up() {
	lock
	local p
	if p=$(pid); then
		if ready; then
			say "already up on $ADDR (pid $p); log: $LOG"
			return 0
		fi
	else
		rm -f "$PIDFILE"
		need_java
		fetch
		port_open "$PORT" && die "port $PORT is taken by another process (not this script's broker in $STATE); set KAFKA_PORT"
		port_open "$CPORT" && die "controller port $CPORT is taken by another process; set KAFKA_CONTROLLER_PORT"
		write_props
		format
		say "starting Kafka on $ADDR (controller 127.0.0.1:$CPORT, state $STATE)"
		# setsid: the broker outlives this script and the test binary that ran it; it must not hold
		# their stdout/stderr (go test would wait for it) nor the lock on fd 9.
		# shellcheck disable=SC2086
		setsid java $HEAP -XX:+UseSerialGC -Djava.awt.headless=true \
			-Dlog4j2.configurationFile="$DEPLOY/log4j2.xml" -Dlog4j.shutdownHookEnabled=false \
			-Dkafka.logs.dir="$STATE/logs" \
			-cp "$LIBS/*" kafka.Kafka "$PROPS" </dev/null >>"$OUT" 2>&1 9>&- &
		p=$!
		echo "$p" >"$PIDFILE"
	fi
	local deadline=$((SECONDS + START_TIMEOUT))
	until ready; do
		kill -0 "$p" 2>/dev/null || fail_start "the broker exited during start-up"
		((SECONDS < deadline)) || fail_start "the broker did not answer a metadata request on $ADDR within ${START_TIMEOUT}s (pid $p still running)"
		sleep 0.5
	done
	say "up on $ADDR (pid $p); log: $LOG"
}

stop() {
	local sig=$1 p
	p=$(pid) || {
		rm -f "$PIDFILE"
		say "not running"
		return 0
	}
	kill "-$sig" "$p" 2>/dev/null || true
	local deadline=$((SECONDS + STOP_TIMEOUT))
	while kill -0 "$p" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			say "pid $p still running after ${STOP_TIMEOUT}s; sending SIGKILL"
			kill -KILL "$p" 2>/dev/null || true
			deadline=$((SECONDS + 10))
		fi
		sleep 0.2
	done
	rm -f "$PIDFILE"
	say "stopped (pid $p, SIG$sig)"
}

cmd_down() {
	lock
	stop TERM
}

cmd_kill() {
	lock
	stop KILL
}

cmd_restart() {
	(cmd_down)
	cmd_up
}

cmd_status() {
	local p
	if p=$(pid); then
		if ready; then
			echo "up: $ADDR pid $p state $STATE log $LOG"
			return 0
		fi
		echo "starting or unhealthy: pid $p does not answer on $ADDR; log $LOG"
		return 1
	fi
	echo "down: $ADDR (state $STATE)"
	return 3
}

cmd_topic() {
	[[ ($# -eq 2 || ($# -eq 3 && $3 == compact)) && $2 =~ ^[1-9][0-9]*$ ]] || die "usage: kafka.sh topic NAME PARTITIONS [compact]"
	local name=$1 parts=$2 extra=()
	[[ ${3:-} == compact ]] && extra=(--config cleanup.policy=compact)
	pid >/dev/null || die "the broker is not running on $ADDR: run scripts/kafka.sh up"
	java_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$ADDR" --create --if-not-exists \
		--topic "$name" --partitions "$parts" --replication-factor 1 "${extra[@]}" >/dev/null
	local k have
	k=$(kcat_bin)
	if [[ -n $k ]]; then
		have=$(timeout 10 "$k" -b "$ADDR" -L -t "$name" 2>/dev/null | sed -n 's/.*with \([0-9]*\) partitions.*/\1/p')
	else
		have=$(java_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$ADDR" --describe --topic "$name" 2>/dev/null |
			sed -n 's/.*PartitionCount: *\([0-9]*\).*/\1/p' | head -n 1)
	fi
	[[ $have == "$parts" ]] || die "topic $name exists with ${have:-?} partitions, not $parts"
	say "topic $name ($parts partitions) on $ADDR"
}

cmd_logs() {
	echo "$LOG"
	if [[ ${1:-} == -f ]]; then
		exec tail -n 50 -F "$LOG"
	fi
	tail -n 100 "$LOG" 2>/dev/null || say "no log yet at $LOG"
}

cmd_reset() {
	lock
	stop TERM
	rm -rf "$STATE/data" "$STATE/cluster.id" "$STATE/logs"
	say "deleted the data in $STATE"
}

cmd_fetch() {
	need_java
	fetch
	say "jars in $LIBS"
}

[[ $# -ge 1 ]] || usage
cmd=$1
shift
case $cmd in
up | down | restart | kill | status | logs | reset | fetch) "cmd_$cmd" "$@" ;;
topic) cmd_topic "$@" ;;
-h | --help | help) usage ;;
*)
	say "unknown command: $cmd"
	usage
	;;
esac
