#!/usr/bin/env bash
# A real IMAP server, Debian's Dovecot (installed with apt when missing, as
# root), in a directory of its own: no system service. The mail robots'
# IMAP client is tested against it as well as against the sandbox's
# mailbox (docs/design/herning-robots.md).
#
# Usage:
#   hack/dovecot.sh start DIR USER PASSWORD-FILE
#                             write a configuration into DIR with one
#                             mailbox, USER, whose password is the first
#                             line of PASSWORD-FILE (never an argument), with
#                             the folders INBOX and Processed; start Dovecot
#                             on a free port of 127.0.0.1; print host:port
#   hack/dovecot.sh stop DIR  stop the Dovecot that DIR/run/master.pid names
#
# Plain-text login without TLS, on loopback only: for tests, never for
# production.
set -euo pipefail

log() { printf 'dovecot: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}
# shellcheck source=lib/daemon.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/daemon.sh"

dovecot_bin() {
	if ! command -v dovecot >/dev/null && [[ ! -x /usr/sbin/dovecot ]]; then
		[[ $(id -u) -eq 0 ]] || die "Dovecot is not installed and installing it needs root: apt-get install dovecot-imapd"
		log "installing Debian's dovecot-imapd"
		DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
		# The package's service is not started: policy-rc.d or no init in a container.
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends dovecot-imapd >/dev/null
	fi
	command -v dovecot 2>/dev/null || echo /usr/sbin/dovecot
}

# users_conf: as root Dovecot runs through the users its package makes; as
# anyone else everything runs as that user (Dovecot's non-root mode).
users_conf() {
	if [[ $(id -u) -eq 0 ]]; then
		printf 'first_valid_uid = 100\n'
	else
		local me
		me=$(id -un)
		printf 'default_internal_user = %s\ndefault_login_user = %s\nfirst_valid_uid = %s\n' "$me" "$me" "$(id -u)"
	fi
}

# mail_owner is the uid=... gid=... the mail is stored as.
mail_owner() {
	if [[ $(id -u) -eq 0 ]]; then
		echo "uid=dovecot gid=dovecot"
	else
		echo "uid=$(id -u) gid=$(id -g)"
	fi
}

start() {
	local dir=$1 user=$2 password_file=$3 bin port password
	[[ -r "$password_file" ]] || die "no password file $password_file"
	if [[ -f "$dir/run/master.pid" ]] && kill -0 "$(cat "$dir/run/master.pid")" 2>/dev/null; then
		log "already running (pid $(cat "$dir/run/master.pid"))"
		cat "$dir/address"
		return
	fi
	bin=$(dovecot_bin)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	mkdir -p "$dir/run" "$dir/state" "$dir/mail"
	port=$(free_port)
	password=$(head -n 1 "$password_file")
	umask 077
	printf '%s:{PLAIN}%s\n' "$user" "$password" >"$dir/users"
	umask 022
	local users
	users=$(users_conf)
	if [[ $(id -u) -eq 0 ]]; then
		chown dovecot:dovecot "$dir/mail"
		chown root:dovecot "$dir/users"
		chmod 0640 "$dir/users"
		chmod 0711 "$dir"
		# Its processes run as dovecot: they must reach DIR.
		su -s /bin/sh dovecot -c "cd '$dir'" 2>/dev/null ||
			die "the dovecot user cannot reach $dir: every directory above it needs o+x (chmod 0711)"
	fi
	cat >"$dir/dovecot.conf" <<CONF
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
$users
mail_location = maildir:$dir/mail/%u
namespace inbox {
  inbox = yes
  separator = /
  mailbox Processed {
    auto = create
  }
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = static
  args = $(mail_owner) home=$dir/mail/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
CONF
	# The daemon keeps the descriptors it is given: not the caller's output,
	# which a caller reading it to the end would wait on forever.
	"$bin" -c "$dir/dovecot.conf" </dev/null >>"$dir/dovecot.log" 2>&1 || die "Dovecot did not start: see $dir/dovecot.log"
	local listening=
	for _ in $(seq 1 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && listening=1 && break
		sleep 0.1
	done
	[[ -n $listening ]] || die "Dovecot does not answer on 127.0.0.1:$port after 5 s: see $dir/dovecot.log"
	echo "127.0.0.1:$port" >"$dir/address"
	log "started (pid $(cat "$dir/run/master.pid")) on 127.0.0.1:$port, log $dir/dovecot.log"
	cat "$dir/address"
}

# stop signals the pid Dovecot recorded, and waits for it to be gone.
stop() {
	local dir=$1
	[[ -f "$dir/run/master.pid" ]] || return 0
	stop_pid TERM "$(cat "$dir/run/master.pid")"
}

case "${1:-}" in
start) start "${2:?usage: hack/dovecot.sh start DIR USER PASSWORD-FILE}" "${3:?user}" "${4:?password file}" ;;
stop) stop "${2:?usage: hack/dovecot.sh stop DIR}" ;;
*) die "usage: hack/dovecot.sh start DIR USER PASSWORD-FILE | stop DIR" ;;
esac
