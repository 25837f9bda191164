#!/usr/bin/env bash
# make e2e: the end-to-end tests under test/e2e against the local cluster,
# with the operator deployed in-cluster and real robot containers, then the
# upgrade under load (build tag chaos, with the chaos run's checker). The
# full test output is kept in bin/e2e.log and bin/e2e-upgrade.log; a
# failure prints its end.
# With E2E_RUN (make chaos) it runs those tests alone, with E2E_TAGS.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

kubeconfig=$(hack/deploy-local.sh)
status=0

# suite TAGS RUN LOG runs the tests matching RUN; it records a failure in
# status and goes on, so that one run shows every failure.
suite() {
	local tags=$1 run=$2 log=$3 rc=0
	# The tests kill robot containers through the node's containerd, as the
	# OOM killer or a node problem would.
	KUBECONFIG="$kubeconfig" KUBECTL="$(hack/k8s-binaries.sh kubectl)/kubectl" \
		E2E_CONTAINERD_ADDRESS="$(hack/local-cluster.sh containerd-address)" \
		go test -tags "$tags" ./test/e2e/ -count=1 -v -run "$run" -timeout "${E2E_TIMEOUT:-40m}" >"$log" 2>&1 || rc=$?
	grep -E '^(--- |PASS|FAIL|ok|panic)' "$log" || true
	if [[ $rc -ne 0 ]]; then
		echo "e2e failed; the end of $log:" >&2
		tail -n 200 "$log" >&2
		status=$rc
	fi
}

if [[ -n "${E2E_RUN:-}" ]]; then
	suite "${E2E_TAGS:-e2e}" "$E2E_RUN" "${E2E_LOG:-$root/bin/e2e.log}"
	exit $status
fi
suite e2e . "$root/bin/e2e.log"
# Last, because it rolls the operator and rpa-server to another build.
# The 5-minute chaos run (make chaos CHAOS_DURATION=5m CHAOS_ROBOTS=30)
# joins here once it passes every time: docs/reliability.md says what it
# still finds.
suite "e2e chaos" '^TestUpgradeUnderLoad$' "$root/bin/e2e-upgrade.log"
exit $status
