#!/usr/bin/env bash
# Starts the local cluster (if needed), builds and imports the images, and
# deploys the operator from config/default with the locally built image, as
# a platform team would deploy it. Prints the kubeconfig's path.
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
echo "$kubeconfig"
