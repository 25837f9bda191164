#!/usr/bin/env bash
# Builds Kubernetes and etcd binaries from the Go module proxy and caches them.
#
# setup-envtest and release downloads are unavailable on our machines, so the
# control plane used by envtest, the local cluster and the benchmarks is built
# from source at the versions pinned in hack/tools/{kubernetes,etcd}/go.mod.
#
# Usage: hack/k8s-binaries.sh [BINARY...]
#   BINARY is one of: etcd kube-apiserver kube-controller-manager kube-scheduler
#   kubelet kube-proxy kubectl coredns. Default: etcd kube-apiserver (what envtest needs).
#   Prints the cache directory (usable as KUBEBUILDER_ASSETS) on stdout;
#   progress goes to stderr. With every requested binary cached it takes well
#   under a second.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
k8s_mod="$root/hack/tools/kubernetes"
etcd_mod="$root/hack/tools/etcd"
coredns_mod="$root/hack/tools/coredns"

# module_version MODDIR MODULE prints the version MODDIR's go.mod requires.
module_version() {
	awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1/go.mod"
}

k8s_version=$(module_version "$k8s_mod" k8s.io/kubernetes)
etcd_version=$(module_version "$etcd_mod" go.etcd.io/etcd/server/v3)
coredns_version=$(module_version "$coredns_mod" github.com/coredns/coredns)
[[ -n "$k8s_version" && -n "$etcd_version" && -n "$coredns_version" ]] || {
	echo "k8s-binaries: cannot read pinned versions from hack/tools/*/go.mod" >&2
	exit 1
}

out="${K8S_BIN_DIR:-$root/bin/k8s/${k8s_version#v}}"
mkdir -p "$out"

# version_of NAME prints the version a binary NAME is built from.
version_of() {
	case "$1" in
	etcd) echo "$etcd_version" ;;
	coredns) echo "$coredns_version" ;;
	*) echo "$k8s_version" ;;
	esac
}

# cached NAME succeeds when NAME is in the cache and was built from the pinned version.
cached() {
	[[ -x "$out/$1" && -f "$out/.$1.version" && "$(cat "$out/.$1.version")" == "$(version_of "$1")" ]]
}

# build_kubernetes NAME... builds Kubernetes commands in one go invocation so
# that shared packages compile once.
build_kubernetes() {
	local major minor rest pkgs=() name
	major=${k8s_version#v}
	minor=${major#*.}
	minor=${minor%%.*}
	major=${major%%.*}
	for name in "$@"; do pkgs+=("k8s.io/kubernetes/cmd/$name"); done
	# The version variables are what a release build stamps; without them the
	# binaries report v0.0.0-master and kubectl/kubelet skew checks misfire.
	local v="k8s.io/component-base/version"
	local ldflags="-s -w -X $v.gitVersion=$k8s_version -X $v.gitMajor=$major -X $v.gitMinor=$minor"
	ldflags+=" -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z"
	ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$k8s_version"
	rest=$(mktemp -d "$out/.build.XXXXXX")
	echo "k8s-binaries: building $* $k8s_version (first build takes several minutes)" >&2
	(cd "$k8s_mod" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$rest/" "${pkgs[@]}")
	for name in "$@"; do
		mv -f "$rest/$name" "$out/$name"
		echo "$k8s_version" >"$out/.$name.version"
	done
	rmdir "$rest"
}

build_etcd() {
	local tmp
	tmp=$(mktemp -d "$out/.build.XXXXXX")
	echo "k8s-binaries: building etcd $etcd_version" >&2
	(cd "$etcd_mod" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3)
	mv -f "$tmp/etcd" "$out/etcd"
	echo "$etcd_version" >"$out/.etcd.version"
	rmdir "$tmp"
}

# build_coredns builds the local cluster's DNS server: CoreDNS with the few
# plugins hack/tools/coredns/main.go selects.
build_coredns() {
	local tmp
	tmp=$(mktemp -d "$out/.build.XXXXXX")
	echo "k8s-binaries: building coredns $coredns_version" >&2
	(cd "$coredns_mod" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/coredns" .)
	mv -f "$tmp/coredns" "$out/coredns"
	echo "$coredns_version" >"$out/.coredns.version"
	rmdir "$tmp"
}

main() {
	local wanted=("$@") missing_k8s=() name
	[[ ${#wanted[@]} -gt 0 ]] || wanted=(etcd kube-apiserver)
	for name in "${wanted[@]}"; do
		case "$name" in
		etcd) cached etcd || build_etcd ;;
		coredns) cached coredns || build_coredns ;;
		kube-apiserver | kube-controller-manager | kube-scheduler | kubelet | kube-proxy | kubectl)
			cached "$name" || missing_k8s+=("$name")
			;;
		*)
			echo "k8s-binaries: unknown binary '$name' (want etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl or coredns)" >&2
			exit 2
			;;
		esac
	done
	[[ ${#missing_k8s[@]} -eq 0 ]] || build_kubernetes "${missing_k8s[@]}"
	echo "$out"
}

main "$@"
