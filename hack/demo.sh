#!/usr/bin/env bash
# make demo: a local cluster with the operator deployed from config/default,
# the sample robots, and one manual run carried out by a real container.
# Running it again reuses what is already there.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

say() { printf '\n== %s\n' "$*"; }

say "Starting the local cluster and deploying the operator (hack/deploy-local.sh)"
kubeconfig=$(hack/deploy-local.sh)
bin=$(hack/k8s-binaries.sh kubectl)
kubectl=("$bin/kubectl" --kubeconfig "$kubeconfig")

say "Applying the sample robots to namespace rpa-demo"
"${kubectl[@]}" create namespace rpa-demo --dry-run=client -o yaml | "${kubectl[@]}" apply -f - >/dev/null
"$root/bin/kustomize" build config/samples/demo | "${kubectl[@]}" -n rpa-demo apply --server-side -f -

say "Starting a manual run"
run=$("${kubectl[@]}" -n rpa-demo create -f config/samples/demo/manual-run.yaml -o 'jsonpath={.metadata.name}')
echo "created robotrun/$run"
for _ in $(seq 180); do
	phase=$("${kubectl[@]}" -n rpa-demo get robotrun "$run" -o 'jsonpath={.status.phase}')
	case "$phase" in
	Succeeded | Failed | TimedOut | Cancelled) break ;;
	esac
	sleep 1
done

say "kubectl get robots,robotruns -n rpa-demo"
"${kubectl[@]}" -n rpa-demo get robots,robotruns

say "The run's status"
"${kubectl[@]}" -n rpa-demo get robotrun "$run" -o 'jsonpath={"phase: "}{.status.phase}{"\nreason: "}{.status.conditions[?(@.type=="Succeeded")].reason}{"\nattempts: "}{.status.attempts}{"\nimageID: "}{.status.imageID}{"\nresult: "}{.status.result}{"\n"}'

say "The robot's log (kubectl logs)"
pod=$("${kubectl[@]}" -n rpa-demo get robotrun "$run" -o 'jsonpath={.status.podName}')
"${kubectl[@]}" -n rpa-demo logs "$pod" | tail -n 20

cat <<EOF

== Done. The cluster keeps running.
Point kubectl at it:   export KUBECONFIG=$kubeconfig
                       (kubectl: $bin/kubectl)
Try:                   kubectl -n rpa-demo get robots,robotruns
                       kubectl -n rpa-demo create -f config/samples/demo/manual-run.yaml
Stop and remove it:    make demo-down
EOF
[[ "$phase" == "Succeeded" ]]
