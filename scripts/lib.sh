# shellcheck shell=bash
# lib.sh: helpers shared by the service scripts (kafka.sh, prometheus.sh). Source it after
# setting NAME (the script's name for messages) and STATE (its state directory).

say() { printf '%s: %s\n' "$NAME" "$*" >&2; }

die() {
	say "error: $*"
	exit 1
}

# usage prints the calling script's header comment (up to `set -euo`) and exits 2.
usage() {
	sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

# lock serialises every command that changes or depends on the service's state, across processes.
lock() {
	mkdir -p "$STATE"
	exec 9>"$STATE/.lock"
	flock 9
}
