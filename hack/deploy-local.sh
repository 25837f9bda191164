#!/usr/bin/env bash
# Starts the local cluster (if needed), builds and imports the images, and
# deploys the operator from config/default and rpa-server from config/server
# with the locally built images, as a platform team would deploy them, on
# the cluster's PostgreSQL. Prints the kubeconfig's path.
# Used by `make demo` and `make e2e`; running it again updates what is there.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
log() { printf 'deploy-local: %s\n' "$*" >&2; }

kubeconfig=$(hack/local-cluster.sh up)
kubectl=("$(hack/k8s-binaries.sh kubectl)/kubectl" --kubeconfig "$kubeconfig")

log "building images and importing them into the node's containerd"
make --no-print-directory images-import >&2

log "deploying the operator from config/default"
make --no-print-directory deploy IMG="$(make --no-print-directory -s print-img)" KUBECTL="${kubectl[*]}" >&2
# The image tag stays :dev across builds, so restart to pick up a new build.
"${kubectl[@]}" -n rpa-system rollout restart deployment/rpa-operator-controller-manager >&2
"${kubectl[@]}" -n rpa-system rollout status deployment/rpa-operator-controller-manager --timeout=180s >&2
log "deploying rpa-server from config/server on the local cluster's PostgreSQL"
# The URL (with its password) goes from a file to the Secret, never
# through a command line.
uri="$(dirname "$kubeconfig")/rpa-server-database.uri"
"${kubectl[@]}" -n rpa-system create secret generic rpa-server-database --from-file=uri="$uri" \
	--dry-run=client -o yaml | "${kubectl[@]}" apply -f - >&2
"$root/bin/kustomize" build config/server | "${kubectl[@]}" apply --server-side --force-conflicts -f - >&2
"${kubectl[@]}" -n rpa-system rollout restart deployment/rpa-server >&2
"${kubectl[@]}" -n rpa-system rollout status deployment/rpa-server --timeout=180s >&2
"${kubectl[@]}" wait --for=condition=Available apiservice/v1alpha1.queue.rpa.dev apiservice/v1alpha1.records.rpa.dev --timeout=120s >&2
echo "$kubeconfig"
