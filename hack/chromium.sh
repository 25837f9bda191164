#!/usr/bin/env bash
# Debian's headless Chromium for the console's browser tests, installed with
# apt when missing (as root). Prints the browser's path, which `make test`
# hands to the tests as RPA_CHROMIUM.
#
# Usage:
#   hack/chromium.sh path   install chromium when missing; print its path
set -euo pipefail

log() { printf 'chromium: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}

find_chromium() {
	local name
	for name in chromium chromium-browser; do
		command -v "$name" 2>/dev/null && return 0
	done
	return 0
}

path() {
	local bin
	bin=$(find_chromium)
	if [[ -z "$bin" ]]; then
		[[ $(id -u) -eq 0 ]] || die "Chromium is not installed and installing it needs root: apt-get install chromium"
		log "installing Debian's chromium"
		DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core >/dev/null
		bin=$(find_chromium)
	fi
	[[ -n "$bin" ]] || die "no chromium on PATH after installing Debian's chromium package"
	printf '%s\n' "$bin"
}

case "${1:-}" in
path) path ;;
*) die "usage: hack/chromium.sh path" ;;
esac
