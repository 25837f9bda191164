#!/usr/bin/env bash
# make e2e: the end-to-end tests under test/e2e against the local cluster,
# with the operator deployed in-cluster and real robot containers.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

kubeconfig=$(hack/deploy-local.sh)
KUBECONFIG="$kubeconfig" KUBECTL="$(hack/k8s-binaries.sh kubectl)/kubectl" \
	go test -tags e2e ./test/e2e/ -count=1 -v -timeout "${E2E_TIMEOUT:-40m}" 2>&1 | tee "$root/bin/e2e.log" |
	grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|_test.go:[0-9]+:'
