#!/usr/bin/env bash
# Starts the local cluster (if needed), builds and imports the images, and
# deploys the operator from config/default, rpa-server from config/server
# and the console from config/console with the locally built images, as a
# platform team would deploy them, on the cluster's PostgreSQL; the console
# with config/console/local (a NodePort, demo users). Prints the
# kubeconfig's path.
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

log "deploying the console from config/console, with config/console/local"
# The session key: made once from /dev/urandom (64 bytes, base64 so that no
# byte is a trailing newline the console trims), through a file only root
# reads, never a command line; kept across deploys, so sessions survive them.
state=$(dirname "$kubeconfig")
if ! "${kubectl[@]}" -n rpa-system get secret rpa-console-session-key >/dev/null 2>&1; then
	key="$state/console-session.key"
	trap 'rm -f "$key"' EXIT
	(umask 077 && head -c 64 /dev/urandom | base64 -w0 >"$key")
	"${kubectl[@]}" -n rpa-system create secret generic rpa-console-session-key --from-file=key="$key" >&2
	rm -f "$key"
fi
# kustomize refuses an overlay inside its base, so the demo's overlay is
# made here: config/console plus the Component config/console/local.
overlay="$state/console"
mkdir -p "$overlay"
cat >"$overlay/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [$(realpath --relative-to="$overlay" config/console)]
components: [$(realpath --relative-to="$overlay" config/console/local)]
EOF
"$root/bin/kustomize" build "$overlay" | "${kubectl[@]}" apply --server-side --force-conflicts -f - >&2
"${kubectl[@]}" -n rpa-system rollout restart deployment/rpa-console >&2
"${kubectl[@]}" -n rpa-system rollout status deployment/rpa-console --timeout=120s >&2
echo "$kubeconfig"
