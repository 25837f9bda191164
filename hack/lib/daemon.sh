# Shared by the hack/ scripts that start a server of their own for tests
# (postgres.sh, dovecot.sh): source it after defining log.

# free_port prints a free TCP port of 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
		shuf -i 20000-40000 -n 1
}

# stop_pid SIGNAL PID signals the pid a server recorded of itself and waits
# up to 10 s for it to be gone, then kills it.
stop_pid() {
	local signal=$1 pid=$2
	kill -0 "$pid" 2>/dev/null || return 0
	kill "-$signal" "$pid"
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || {
			log "stopped (pid $pid)"
			return 0
		}
		sleep 0.1
	done
	log "pid $pid did not stop in 10 s; killing it"
	kill -KILL "$pid" 2>/dev/null || true
}
