#!/usr/bin/env bash
# A real PostgreSQL for tests and the local cluster, from Debian's packages
# (installed with apt when missing), in a directory of its own: no system
# service, no Docker. The work-queue store's tests start one per test run.
#
# Usage:
#   hack/postgres.sh start DIR   initdb into DIR (once) and start the server on
#                                a free port of 127.0.0.1; prints its URL
#   hack/postgres.sh stop DIR    stop the server DIR/postmaster.pid names
#   hack/postgres.sh url DIR     print the URL of the server running in DIR
#   hack/postgres.sh psql DIR    run SQL from standard input on that server
#
# The server trusts local connections (-A trust) and listens on loopback only:
# it is for tests and a developer's machine, never for production
# (docs/work-queues.md says how to run PostgreSQL there). The local cluster
# also sets, for its pods:
#   PG_LISTEN     addresses to listen on (default 127.0.0.1)
#   PG_PORT       the port (default: a free one)
#   PG_HBA_EXTRA  a pg_hba.conf line added once (password access from pods)
set -euo pipefail

log() { printf 'postgres: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}
# shellcheck source=lib/daemon.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/daemon.sh"

# pg_bin finds the newest installed server binaries, installing Debian's
# postgresql package first when there are none.
pg_bin() {
	local dir
	dir=$(find_pg_bin)
	if [[ -z "$dir" ]]; then
		[[ $(id -u) -eq 0 ]] || die "PostgreSQL is not installed and installing it needs root: apt-get install postgresql"
		log "installing Debian's postgresql"
		DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
		dir=$(find_pg_bin)
	fi
	[[ -n "$dir" ]] || die "no initdb under /usr/lib/postgresql/*/bin after installing postgresql"
	printf '%s\n' "$dir"
}

find_pg_bin() {
	local found
	found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[[ -n "$found" && -x "$found/initdb" ]] && printf '%s\n' "$found"
	return 0
}

# as_owner runs a command as the database's owner: PostgreSQL refuses to run
# as root, so as root it runs as the postgres user Debian's package creates.
as_owner() {
	if [[ $(id -u) -eq 0 ]]; then
		su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
	else
		"$@"
	fi
}

url_of() {
	local dir=$1
	[[ -f "$dir/port" ]] || die "no server was started in $dir"
	printf 'postgres://postgres@127.0.0.1:%s/postgres?sslmode=disable\n' "$(cat "$dir/port")"
}

start() {
	local dir=$1 bin port
	if [[ -f "$dir/data/postmaster.pid" ]] && kill -0 "$(head -n 1 "$dir/data/postmaster.pid")" 2>/dev/null; then
		log "already running (pid $(head -n 1 "$dir/data/postmaster.pid"))"
		url_of "$dir"
		return
	fi
	bin=$(pg_bin)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [[ $(id -u) -eq 0 ]]; then
		chown postgres "$dir"
		chmod 0700 "$dir"
	fi
	if [[ ! -f "$dir/data/PG_VERSION" ]]; then
		as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
			die "initdb failed: see $dir/initdb.log"
	fi
	if [[ -n "${PG_HBA_EXTRA:-}" ]] && ! grep -qxF "$PG_HBA_EXTRA" "$dir/data/pg_hba.conf"; then
		echo "$PG_HBA_EXTRA" | as_owner tee -a "$dir/data/pg_hba.conf" >/dev/null
	fi
	port=${PG_PORT:-$(free_port)}
	echo "$port" >"$dir/port"
	as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
		-o "-p $port -k $dir -c listen_addresses=${PG_LISTEN:-127.0.0.1} -c fsync=off -c max_connections=200" >/dev/null ||
		die "the server did not start: see $dir/server.log"
	log "started (pid $(head -n 1 "$dir/data/postmaster.pid")) on ${PG_LISTEN:-127.0.0.1} port $port, log $dir/server.log"
	url_of "$dir"
}

# stop signals the pid the server recorded in its own postmaster.pid, and
# waits for it to be gone.
stop() {
	local dir=$1
	[[ -f "$dir/data/postmaster.pid" ]] || return 0
	stop_pid INT "$(head -n 1 "$dir/data/postmaster.pid")" # PostgreSQL's fast shutdown
}

# run_sql runs standard input's SQL as the superuser, over the server's
# socket, stopping at the first error.
run_sql() {
	local dir=$1
	as_owner "$(pg_bin)/psql" -h "$dir" -p "$(cat "$dir/port")" -U postgres -d postgres -q -v ON_ERROR_STOP=1 -f -
}

case "${1:-}" in
start) start "${2:?usage: hack/postgres.sh start DIR}" ;;
stop) stop "${2:?usage: hack/postgres.sh stop DIR}" ;;
url) url_of "${2:?usage: hack/postgres.sh url DIR}" ;;
psql) run_sql "${2:?usage: hack/postgres.sh psql DIR}" ;;
*) die "usage: hack/postgres.sh start|stop|url|psql DIR" ;;
esac
