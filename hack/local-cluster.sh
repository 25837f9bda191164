#!/usr/bin/env bash
# A real single-node Kubernetes cluster on this machine, without Docker:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, containerd
# (Debian's) with runc, kubelet, kube-proxy and CoreDNS, on the loopback
# address and the cni0 bridge only. See docs/local-cluster.md.
#
# Usage: hack/local-cluster.sh up|down|status|kubeconfig|containerd-address|database-stop|database-start|restart NAME
#
# Everything lives under bin/local-cluster/ (git-ignored): PKI, data, logs,
# and one .pid file per process started, so that `down` stops exactly what
# `up` started and nothing else.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state="${LOCAL_CLUSTER_DIR:-$root/bin/local-cluster}"
pki="$state/pki"
logs="$state/logs"
pids="$state/pids"
kubeconfig="$state/kubeconfig"

node_name="rpa-local"
bridge="cni0"
node_ip="10.244.0.1"
pod_cidr="10.244.0.0/24"
service_cidr="10.96.0.0/16"
kubernetes_service_ip="10.96.0.1"
cluster_domain="cluster.local"
# CoreDNS runs on the node and answers on the bridge address, which every pod
# routes to; the kubelet writes it into each pod's resolv.conf.
cluster_dns="$node_ip"
apiserver="https://$node_ip:6443"
# containerd's pod sandbox image; hack/build-images builds it locally.
pause_image="registry.k8s.io/pause:3.10"
# PostgreSQL for rpa-server, on the node.
postgres_port=15432
containerd_sock="$state/containerd/containerd.sock"

log() { printf 'local-cluster: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}

# --- processes -------------------------------------------------------------

# start NAME CMD... starts CMD in the background with its output in
# logs/NAME.log and records its pid in pids/NAME.pid.
start() {
	local name=$1
	shift
	if running "$name"; then
		log "$name already running (pid $(cat "$pids/$name.pid"))"
		return
	fi
	"$@" >>"$logs/$name.log" 2>&1 &
	echo $! >"$pids/$name.pid"
	log "started $name (pid $!), log $logs/$name.log"
}

# running NAME succeeds when the process recorded for NAME is alive.
running() {
	[[ -f "$pids/$1.pid" ]] && kill -0 "$(cat "$pids/$1.pid")" 2>/dev/null
}

# stop NAME stops the recorded process: SIGTERM, then SIGKILL after 15 s.
stop() {
	local name=$1 pid
	[[ -f "$pids/$name.pid" ]] || return 0
	pid=$(cat "$pids/$name.pid")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 150); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
		log "stopped $name (pid $pid)"
	fi
	rm -f "$pids/$name.pid"
}

# wait_for NAME SECONDS CHECK... polls CHECK until it succeeds; on timeout it
# names the component and its log, and shows the log's end.
wait_for() {
	local name=$1 seconds=$2
	shift 2
	for _ in $(seq $((seconds * 5))); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		running "$name" || break
		sleep 0.2
	done
	log "$name did not become ready; its log is $logs/$name.log:"
	tail -n 20 "$logs/$name.log" >&2 || true
	die "$name failed"
}

# write_file PATH writes stdin to PATH unless PATH already has that
# content: a running kube-proxy exits when its configuration file changes,
# so a second `up` must leave unchanged files alone.
write_file() {
	local tmp
	tmp=$(mktemp "$1.XXXXXX")
	cat >"$tmp"
	if cmp -s "$tmp" "$1"; then
		rm -f "$tmp"
	else
		mv -f "$tmp" "$1"
	fi
}

# --- binaries and packages --------------------------------------------------

ensure_packages() {
	local missing=()
	command -v containerd >/dev/null || missing+=(containerd)
	command -v runc >/dev/null || missing+=(runc)
	[[ -x /usr/lib/cni/bridge ]] || missing+=(containernetworking-plugins)
	command -v iptables >/dev/null || missing+=(iptables)
	command -v conntrack >/dev/null || missing+=(conntrack)
	command -v openssl >/dev/null || missing+=(openssl)
	command -v curl >/dev/null || missing+=(curl)
	command -v ip >/dev/null || missing+=(iproute2)
	if [[ ${#missing[@]} -gt 0 ]]; then
		log "installing Debian packages: ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
	fi
}

ensure_binaries() {
	bin=$("$root/hack/k8s-binaries.sh" etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl coredns)
}

# --- PKI --------------------------------------------------------------------

# cert NAME SUBJECT [SANS] makes NAME.key/NAME.crt signed by the cluster CA.
cert() {
	local name=$1 subject=$2 sans=${3:-} ca=${4:-ca}
	[[ -f "$pki/$name.crt" ]] && return
	openssl genrsa -out "$pki/$name.key" 2048 2>/dev/null
	openssl req -new -key "$pki/$name.key" -subj "$subject" -out "$pki/$name.csr" 2>/dev/null
	local ext="$pki/$name.ext"
	{
		echo "basicConstraints=CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		echo "extendedKeyUsage=serverAuth,clientAuth"
		[[ -n "$sans" ]] && echo "subjectAltName=$sans"
	} >"$ext"
	openssl x509 -req -in "$pki/$name.csr" -CA "$pki/$ca.crt" -CAkey "$pki/$ca.key" -CAcreateserial \
		-days 365 -sha256 -extfile "$ext" -out "$pki/$name.crt" 2>/dev/null
	rm -f "$pki/$name.csr" "$ext"
}

make_pki() {
	mkdir -p "$pki"
	if [[ ! -f "$pki/ca.crt" ]]; then
		openssl genrsa -out "$pki/ca.key" 2048 2>/dev/null
		openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=rpa-local-ca" -days 365 -sha256 -out "$pki/ca.crt" 2>/dev/null
	fi
	cert apiserver "/CN=kube-apiserver" \
		"IP:$node_ip,IP:127.0.0.1,IP:$kubernetes_service_ip,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
	cert admin "/O=system:masters/CN=rpa-local-admin"
	cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
	cert controller-manager "/CN=system:kube-controller-manager"
	cert scheduler "/CN=system:kube-scheduler"
	cert kubelet "/O=system:nodes/CN=system:node:$node_name" "IP:$node_ip,IP:127.0.0.1,DNS:$node_name"
	cert kube-proxy "/CN=system:kube-proxy"
	cert coredns "/CN=system:coredns"
	# The aggregation layer: kube-apiserver proxies queue.rpa.dev to
	# rpa-server with the caller's identity in headers, as front-proxy-client,
	# under a CA of its own (as kubeadm sets it up).
	if [[ ! -f "$pki/front-proxy-ca.crt" ]]; then
		openssl genrsa -out "$pki/front-proxy-ca.key" 2048 2>/dev/null
		openssl req -x509 -new -key "$pki/front-proxy-ca.key" -subj "/CN=rpa-local-front-proxy-ca" -days 365 -sha256 \
			-out "$pki/front-proxy-ca.crt" 2>/dev/null
	fi
	cert front-proxy-client "/CN=front-proxy-client" "" front-proxy-ca
	if [[ ! -f "$pki/sa.key" ]]; then
		openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
		openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
	fi
}

# kubeconfig_for NAME writes a kubeconfig that authenticates with NAME's cert.
kubeconfig_for() {
	local name=$1 file="$state/$1.kubeconfig"
	write_file "$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: rpa-local
  cluster:
    server: $apiserver
    certificate-authority: $pki/ca.crt
users:
- name: $name
  user:
    client-certificate: $pki/$name.crt
    client-key: $pki/$name.key
contexts:
- name: rpa-local
  context: {cluster: rpa-local, user: $name}
current-context: rpa-local
EOF
	echo "$file"
}

# --- network ----------------------------------------------------------------

# make_bridge creates cni0 with the node's address before the kubelet
# starts: the kubelet and kube-apiserver bind to it.
make_bridge() {
	if ! ip link show "$bridge" >/dev/null 2>&1; then
		ip link add "$bridge" type bridge
	fi
	# grep without -q reads all of ip's output: with -q it may exit first,
	# and under pipefail ip's SIGPIPE would fail the test.
	ip addr show dev "$bridge" | grep "inet $node_ip/" >/dev/null || ip addr add "$node_ip/24" dev "$bridge"
	ip link set "$bridge" up
	sysctl -qw net.ipv4.ip_forward=1 2>/dev/null || log "could not enable IP forwarding (pods still reach the node)"
	mkdir -p "$state/cni/net.d"
	write_file "$state/cni/net.d/10-rpa-local.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "rpa-local",
  "plugins": [
    {"type": "bridge", "bridge": "$bridge", "isGateway": true, "isDefaultGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$pod_cidr", "gateway": "$node_ip"}]],
              "dataDir": "$state/cni/ipam"}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "loopback"}
  ]
}
EOF
}

# --- components ---------------------------------------------------------------

start_etcd() {
	mkdir -p "$state/etcd"
	start etcd "$bin/etcd" --name rpa-local --data-dir "$state/etcd" \
		--listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
		--listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
		--initial-cluster rpa-local=http://127.0.0.1:2380 --log-level warn
	wait_for etcd 30 curl -fsS http://127.0.0.1:2379/health
}

start_apiserver() {
	start kube-apiserver "$bin/kube-apiserver" \
		--etcd-servers http://127.0.0.1:2379 \
		--bind-address "$node_ip" --advertise-address "$node_ip" --secure-port 6443 \
		--service-cluster-ip-range "$service_cidr" \
		--tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
		--client-ca-file "$pki/ca.crt" \
		--kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" \
		--kubelet-client-key "$pki/apiserver-kubelet-client.key" \
		--kubelet-certificate-authority "$pki/ca.crt" \
		--kubelet-preferred-address-types InternalIP \
		--service-account-issuer https://kubernetes.default.svc.cluster.local \
		--service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
		--authorization-mode Node,RBAC --allow-privileged=true \
		--enable-admission-plugins NodeRestriction \
		--requestheader-client-ca-file "$pki/front-proxy-ca.crt" \
		--requestheader-allowed-names front-proxy-client \
		--requestheader-username-headers X-Remote-User \
		--requestheader-group-headers X-Remote-Group \
		--requestheader-extra-headers-prefix X-Remote-Extra- \
		--proxy-client-cert-file "$pki/front-proxy-client.crt" \
		--proxy-client-key-file "$pki/front-proxy-client.key" \
		--enable-aggregator-routing=true
	wait_for kube-apiserver 60 kctl get --raw /readyz
}

# start_postgres runs the PostgreSQL that rpa-server keeps work items in,
# on the node like etcd: pods reach it on the bridge address with the
# password of role rpa, which only the URL file (mode 0600) holds.
start_postgres() {
	local dir="$state/postgres" password
	PG_LISTEN="127.0.0.1,$node_ip" PG_PORT="$postgres_port" PG_HBA_EXTRA="host rpa rpa $pod_cidr scram-sha-256" \
		"$root/hack/postgres.sh" start "$dir" >/dev/null
	[[ -f "$state/rpa-server-database.uri" ]] && return
	password=$(openssl rand -hex 16)
	"$root/hack/postgres.sh" psql "$dir" <<EOF
CREATE ROLE rpa LOGIN PASSWORD '$password';
CREATE DATABASE rpa OWNER rpa;
EOF
	(
		umask 077
		printf 'postgres://rpa:%s@%s:%s/rpa?sslmode=disable' "$password" "$node_ip" "$postgres_port" >"$state/rpa-server-database.uri"
	)
	log "PostgreSQL for rpa-server on $node_ip:$postgres_port, URL in $state/rpa-server-database.uri"
}

start_controller_manager() {
	start kube-controller-manager "$bin/kube-controller-manager" \
		--kubeconfig "$(kubeconfig_for controller-manager)" \
		--authentication-kubeconfig "$state/controller-manager.kubeconfig" \
		--authorization-kubeconfig "$state/controller-manager.kubeconfig" \
		--bind-address 127.0.0.1 --leader-elect=false \
		--service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
		--use-service-account-credentials \
		--cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key"
	wait_for kube-controller-manager 60 curl -fsSk https://127.0.0.1:10257/healthz
}

start_scheduler() {
	start kube-scheduler "$bin/kube-scheduler" \
		--kubeconfig "$(kubeconfig_for scheduler)" \
		--authentication-kubeconfig "$state/scheduler.kubeconfig" \
		--authorization-kubeconfig "$state/scheduler.kubeconfig" \
		--bind-address 127.0.0.1 --leader-elect=false
	wait_for kube-scheduler 60 curl -fsSk https://127.0.0.1:10259/healthz
}

start_containerd() {
	mkdir -p "$state/containerd"
	# restrict_oom_score_adj: inside a container we may not lower
	# oom_score_adj, and without it every sandbox fails to start.
	write_file "$state/containerd/config.toml" <<EOF
version = 2
root = "$state/containerd/root"
state = "$state/containerd/state"
[grpc]
  address = "$containerd_sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_image"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$state/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
EOF
	start containerd containerd --config "$state/containerd/config.toml"
	wait_for containerd 30 ctr --address "$containerd_sock" version
}

start_kubelet() {
	mkdir -p "$state/kubelet"
	write_file "$state/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $node_ip
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $pki/kubelet.crt
tlsPrivateKeyFile: $pki/kubelet.key
# These machines use cgroup v1 inside a container (see
# ../shared/LOCAL-CLUSTER-FACTS.md).
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
containerRuntimeEndpoint: unix://$containerd_sock
staticPodPath: ""
resolvConf: /etc/resolv.conf
clusterDNS: [$cluster_dns]
clusterDomain: $cluster_domain
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
	start kubelet "$bin/kubelet" --config "$state/kubelet/config.yaml" \
		--kubeconfig "$(kubeconfig_for kubelet)" --root-dir "$state/kubelet/root" \
		--hostname-override "$node_name" --node-ip "$node_ip"
	wait_for kubelet 90 node_ready
}

start_kube_proxy() {
	write_file "$state/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $(kubeconfig_for kube-proxy)}
mode: iptables
clusterCIDR: $pod_cidr
hostnameOverride: $node_name
bindAddress: 127.0.0.1
# NodePorts (the demo's console) answer on the node's bridge address and
# loopback only, not on every interface of the machine.
nodePortAddresses: [$node_ip/32, 127.0.0.1/32]
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# Inside a container the conntrack sysctls are read-only; leave them as they are.
conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
	start kube-proxy "$bin/kube-proxy" --config "$state/kube-proxy.yaml"
	wait_for kube-proxy 60 curl -fsS http://127.0.0.1:10256/healthz
}

# start_coredns serves the cluster domain from the apiserver's Services and
# EndpointSlices and forwards every other name to the host's resolver, so
# robots reach a Service as http://NAME.NAMESPACE.svc.cluster.local.
start_coredns() {
	kctl apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
- apiGroups: [""]
  resources: [services, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:coredns"}
EOF
	write_file "$state/Corefile" <<EOF
.:53 {
    bind $cluster_dns
    errors
    health 127.0.0.1:10054
    ready 127.0.0.1:10055
    kubernetes $cluster_domain in-addr.arpa ip6.arpa {
        kubeconfig $(kubeconfig_for coredns) rpa-local
        fallthrough in-addr.arpa ip6.arpa
    }
    forward . /etc/resolv.conf
    cache 30
    reload
}
EOF
	start coredns "$bin/coredns" -conf "$state/Corefile"
	wait_for coredns 60 curl -fsS http://127.0.0.1:10055/ready
}

# --- checks -------------------------------------------------------------------

kctl() { "$bin/kubectl" --kubeconfig "$kubeconfig" "$@"; }

node_ready() {
	[[ "$(kctl get node "$node_name" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == "True" ]]
}

# cluster_ready waits for what a pod needs besides a Ready node: the default
# ServiceAccount (made by the controller-manager) and the kubernetes Service
# endpoints that kube-proxy routes 10.96.0.1 to.
cluster_ready() {
	wait_for kube-controller-manager 60 kctl -n default get serviceaccount default
	wait_for kube-apiserver 30 kctl -n default get endpointslices -l kubernetes.io/service-name=kubernetes -o name
}

# --- commands -------------------------------------------------------------------

up() {
	[[ $(id -u) -eq 0 ]] || die "must run as root (it creates a bridge and runs containers)"
	mkdir -p "$state" "$logs" "$pids"
	ensure_packages
	ensure_binaries
	make_pki
	cp "$(kubeconfig_for admin)" "$kubeconfig"
	make_bridge
	start_postgres
	start_etcd
	start_apiserver
	start_controller_manager
	start_scheduler
	start_containerd
	import_images
	start_kubelet
	start_kube_proxy
	start_coredns
	cluster_ready
	log "ready: node $node_name, kubeconfig $kubeconfig"
	echo "$kubeconfig"
}

# import_images builds (once) and imports the pause image, which containerd
# cannot pull here. Other images are imported by `make images-import`.
import_images() {
	if ! ctr --address "$containerd_sock" -n k8s.io images ls -q | grep -x "$pause_image" >/dev/null; then
		(cd "$root" && go run ./hack/build-images --pause-image "$pause_image" --import --containerd-address "$containerd_sock" pause) >&2
	fi
}

down() {
	stop coredns
	stop kube-proxy
	stop kubelet
	if running containerd; then
		remove_containers
	fi
	stop containerd
	stop kube-scheduler
	stop kube-controller-manager
	stop kube-apiserver
	stop etcd
	"$root/hack/postgres.sh" stop "$state/postgres"
	cleanup_host
	rm -rf "$state"
	log "stopped and removed $state"
}

# remove_containers stops every container the kubelet left, so that no
# containerd shim outlives the cluster.
remove_containers() {
	local c=(ctr --address "$containerd_sock" -n k8s.io) id
	for id in $("${c[@]}" tasks ls -q 2>/dev/null); do
		"${c[@]}" tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
	done
	sleep 1
	for id in $("${c[@]}" tasks ls -q 2>/dev/null); do
		"${c[@]}" tasks delete -f "$id" >/dev/null 2>&1 || true
	done
	for id in $("${c[@]}" containers ls -q 2>/dev/null); do
		"${c[@]}" containers delete "$id" >/dev/null 2>&1 || true
	done
}

# cleanup_host undoes what the components did to the host: mounts under the
# state directory, kube-proxy's iptables rules, the bridge.
cleanup_host() {
	local m
	if [[ -d "$state" ]]; then
		while read -r m; do
			umount -l "$m" 2>/dev/null || true
		done < <(awk -v s="$state" '$2 ~ "^"s {print $2}' /proc/mounts | sort -r)
	fi
	if [[ -x "${bin:-}/kube-proxy" ]]; then
		"$bin/kube-proxy" --cleanup >/dev/null 2>&1 || true
	fi
	# What the kubelet adds (KUBE-FIREWALL, its canary chains) and kube-proxy
	# left: every KUBE- chain and every rule that jumps to one, nothing else.
	local save
	for save in iptables ip6tables; do
		if "$save-save" 2>/dev/null | grep KUBE- >/dev/null; then
			"$save-save" | grep -v -- 'KUBE-' | "$save-restore" || log "could not remove the KUBE- $save rules"
		fi
	done
	ip link del "$bridge" 2>/dev/null || true
}

status() {
	local name ok=0
	for name in etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy coredns; do
		if running "$name"; then
			printf '%-24s running (pid %s)\n' "$name" "$(cat "$pids/$name.pid")"
		else
			printf '%-24s stopped\n' "$name"
			ok=1
		fi
	done
	if [[ $ok -eq 0 ]]; then
		ensure_binaries
		kctl get nodes
	fi
	return $ok
}

# restart NAME stops one process of the cluster by its recorded pid and
# starts it again, as make chaos does to etcd, kube-apiserver, containerd
# and PostgreSQL. It builds nothing: the binaries are the cached ones.
restart() {
	bin=$(dirname "$(ls "$root"/bin/k8s/*/kube-apiserver 2>/dev/null | tail -n 1)")
	case "$1" in
	etcd) stop etcd && start_etcd ;;
	kube-apiserver) stop kube-apiserver && start_apiserver ;;
	containerd) stop containerd && start_containerd ;;
	postgres) "$root/hack/postgres.sh" stop "$state/postgres" && start_postgres ;;
	*)
		echo "usage: $0 restart etcd|kube-apiserver|containerd|postgres" >&2
		exit 2
		;;
	esac
}

case "${1:-}" in
up) up ;;
down)
	# Stopping must not build anything: use the cached binaries if any.
	bin=$(dirname "$(ls "$root"/bin/k8s/*/kube-proxy 2>/dev/null | tail -n 1)")
	down
	;;
status) status ;;
kubeconfig) echo "$kubeconfig" ;;
containerd-address) echo "$containerd_sock" ;;
# Stop and start rpa-server's PostgreSQL alone (the e2e test of the run
# records' outage does), by the pid it recorded.
database-stop) "$root/hack/postgres.sh" stop "$state/postgres" ;;
database-start) start_postgres ;;
restart) restart "${2:-}" ;;
*)
	echo "usage: $0 up|down|status|kubeconfig|containerd-address|database-stop|database-start|restart NAME" >&2
	exit 2
	;;
esac
