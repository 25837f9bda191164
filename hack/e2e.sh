#!/usr/bin/env bash
# make e2e: the end-to-end tests under test/e2e against the local cluster,
# with the operator deployed in-cluster and real robot containers. The full
# test output is kept in bin/e2e.log; a failure prints its end.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# make chaos runs the chaos test alone through the same path.
log="${E2E_LOG:-$root/bin/e2e.log}"

kubeconfig=$(hack/deploy-local.sh)
status=0
# The tests kill robot containers through the node's containerd, as the
# OOM killer or a node problem would.
KUBECONFIG="$kubeconfig" KUBECTL="$(hack/k8s-binaries.sh kubectl)/kubectl" \
	E2E_CONTAINERD_ADDRESS="$(hack/local-cluster.sh containerd-address)" \
	go test -tags "${E2E_TAGS:-e2e}" ./test/e2e/ -count=1 -v -run "${E2E_RUN:-.}" -timeout "${E2E_TIMEOUT:-40m}" >"$log" 2>&1 || status=$?
grep -E '^(--- |PASS|FAIL|ok|panic)' "$log" || true
if [[ $status -ne 0 ]]; then
	echo "e2e failed; the end of $log:" >&2
	tail -n 200 "$log" >&2
fi
exit $status
