#!/usr/bin/env bash
# make demo: a local cluster with the operator deployed from config/default
# and rpa-server from config/server on the cluster's PostgreSQL, the sandbox
# standing in for the municipal systems, the sample robots, one manual run
# of each carried out by real containers, a work queue of certificates, and
# the console (config/console) with tokens for a caseworker and a process owner.
# Running it again reuses what is already there (the robots then find no
# work left).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

ns=rpa-demo
# The sandbox's API through the apiserver's Service proxy, so that kubectl
# reaches it from anywhere.
sandbox=/api/v1/namespaces/rpa-sandbox/services/sandbox:http/proxy
say() { printf '\n== %s\n' "$*"; }

say "Starting the local cluster and deploying the operator and rpa-server (hack/deploy-local.sh)"
kubeconfig=$(hack/deploy-local.sh)
bin=$(hack/k8s-binaries.sh kubectl)
kubectl=("$bin/kubectl" --kubeconfig "$kubeconfig")

say "Deploying the sandbox: CPR, Digital Post, ESDH and the monitored systems (robots/sandbox)"
"${kubectl[@]}" apply -f robots/sandbox/deploy.yaml
"${kubectl[@]}" -n rpa-sandbox rollout status deployment/sandbox --timeout=120s

say "Applying the sample robots to namespace $ns (config/samples, config/samples/demo)"
"${kubectl[@]}" create namespace "$ns" --dry-run=client -o yaml | "${kubectl[@]}" apply -f - >/dev/null
for dir in config/samples config/samples/demo; do
	"$root/bin/kustomize" build "$dir" | "${kubectl[@]}" -n "$ns" apply --server-side -f -
done

# start_run ROBOT [ARGUMENTS-JSON] creates a manual run and prints its name.
start_run() {
	"${kubectl[@]}" -n "$ns" create -o 'jsonpath={.metadata.name}' -f - <<EOF
apiVersion: rpa.dev/v1alpha1
kind: RobotRun
metadata: {generateName: $1-demo-}
spec: {robotName: $1, arguments: ${2:-{\}}}
EOF
}

# phase RUN prints the run's phase, and its reason once it has ended.
phase() {
	"${kubectl[@]}" -n "$ns" get robotrun "$1" \
		-o 'jsonpath={.status.phase}{" "}{.status.conditions[?(@.type=="Succeeded")].reason}'
}

finished() {
	case "$(phase "$1")" in
	Succeeded* | Failed* | TimedOut* | Cancelled*) return 0 ;;
	esac
	return 1
}

say "Starting one manual run of each robot"
runs=(
	"$("${kubectl[@]}" -n "$ns" create -f config/samples/demo/manual-run.yaml -o 'jsonpath={.metadata.name}')"
	"$(start_run welcome-letters)"
	"$(start_run certificate-journal)"
	"$(start_run residence-check '{batch: demo}')"
	"$(start_run system-monitor)"
)
printf 'created robotrun/%s\n' "${runs[@]}"
for _ in $(seq 300); do
	pending=0
	for run in "${runs[@]}"; do finished "$run" || pending=1; done
	[[ $pending -eq 0 ]] && break
	sleep 1
done

say "kubectl get robots,robotruns -n $ns; kubectl get targetsystems"
"${kubectl[@]}" -n "$ns" get robots,robotruns
"${kubectl[@]}" get targetsystems

say "What each run reports (status.result.summary)"
for run in "${runs[@]}"; do
	printf '%-40s %-28s %s\n' "$run" "$(phase "$run")" \
		"$("${kubectl[@]}" -n "$ns" get robotrun "$run" -o 'jsonpath={.status.result.summary}')"
done

say "The sandbox's records: every letter and journal entry once (GET /state)"
"${kubectl[@]}" get --raw "$sandbox/state"
echo

say "The welcome-letters robot's log (kubectl logs)"
pod=$("${kubectl[@]}" -n "$ns" get robotrun "${runs[1]}" -o 'jsonpath={.status.podName}')
"${kubectl[@]}" -n "$ns" logs "$pod" | tail -n 8

say "A work queue: the certificates, added with kubectl robot queue add; the WorkQueue's trigger runs certificate-journal, which takes them one at a time (robots/certificate-journal/workqueue.yaml)"
make --no-print-directory build-plugin >/dev/null
plugin=("$root/bin/kubectl-robot" --kubeconfig "$kubeconfig" -n "$ns")
items="$(mktemp --suffix .jsonl)"
"${kubectl[@]}" get --raw "$sandbox/certificates" | grep -o '"id":"SA-[0-9]*"' | cut -d'"' -f4 |
	while read -r id; do printf '{"reference":"%s","payload":{"certificateId":"%s"}}\n' "$id" "$id"; done >"$items"
"${plugin[@]}" queue add certificates -f "$items" | tail -n 1
rm -f "$items"
# waiting prints how many items of queue $1 are New or InProgress, read
# from the work items themselves: the WorkQueue's counts lag behind an add.
waiting() {
	local state total=0
	for state in New InProgress; do
		total=$((total + $("${kubectl[@]}" -n "$ns" get workitems -o name \
			--field-selector "spec.queue=$1,status.state=$state" | wc -l)))
	done
	echo "$total"
}
for _ in $(seq 300); do
	[[ $(waiting certificates) -eq 0 ]] && break
	sleep 1
done
queue_left=$(waiting certificates)
"${plugin[@]}" queue list
echo
echo "The certificates that are not clean wait for HR (kubectl get workitems):"
"${kubectl[@]}" -n "$ns" get workitems --field-selector status.state=BusinessException | head -n 6

say "Per, Herning's mail robot: five mails arrive by SMTP (the sandbox's POST /mail/samples); mail-intake queues them within a minute, the queue's trigger runs mail-sorter, which forwards, journals, and hands one to a person (robots/mail-intake, robots/mail-sorter)"
echo '{"count": 5}' | "${kubectl[@]}" create --raw "$sandbox/mail/samples" -f - | grep -o '"kind":"[a-z-]*"' | cut -d'"' -f4 | tr '\n' ' '
echo
# mail_items prints how many mails the queue holds, in any state.
mail_items() { "${kubectl[@]}" -n "$ns" get workitems -o name --field-selector spec.queue=incoming-mail | wc -l; }
for _ in $(seq 180); do
	[[ $(mail_items) -ge 5 && $(waiting incoming-mail) -eq 0 ]] && break
	sleep 1
done
mail_left=$(($(waiting incoming-mail) + 5 - $(mail_items)))
"${kubectl[@]}" -n "$ns" get workitems --field-selector spec.queue=incoming-mail
echo
echo "Where the mail went: the departments' mailboxes (GET /mail/forwards) and ESDH's journal"
"${kubectl[@]}" get --raw "$sandbox/mail/forwards" | grep -o '"to":"[^"]*"' | sort | uniq -c
"${kubectl[@]}" get --raw "$sandbox/esdh/journal" | grep -o '"caseNumber":"S-[^"]*","title":"[^"]*"' | head -n 3
echo "The mail the robot could not place waits for a person, with the reason:"
"${kubectl[@]}" -n "$ns" get workitems --field-selector spec.queue=incoming-mail,status.state=BusinessException \
	-o 'jsonpath={range .items[*]}{.metadata.name}  {.status.reason}{"\n"}{end}'

say "The run records: every finished run, who asked for it and with what, kept after pruning (docs/audit.md)"
for _ in $(seq 30); do
	[[ $("${kubectl[@]}" -n "$ns" get runrecords --no-headers 2>/dev/null | wc -l) -ge ${#runs[@]} ]] && break
	sleep 1
done
"${kubectl[@]}" -n "$ns" get runrecords -o wide | head -n 8

say "The console (config/console): signing in with the caseworker's token (kubectl create token)"
# The tokens go to files only root reads, never to the terminal or a
# command line; curl reads the token from its file.
state=$(dirname "$kubeconfig")
for user in caseworker process-owner; do
	(umask 077 && "${kubectl[@]}" -n "$ns" create token "$user" --duration=8h >"$state/console-$user.token")
done
node_ip=$("${kubectl[@]}" get nodes -o 'jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}')
console="https://$node_ip:$("${kubectl[@]}" -n rpa-system get service rpa-console -o 'jsonpath={.spec.ports[0].nodePort}')"
for _ in $(seq 30); do
	curl -ksf -o /dev/null "$console/healthz" && break
	sleep 1
done
jar=$(mktemp)
signed_in=$(curl -ksS -o /dev/null -w '%{http_code} %{redirect_url}' -c "$jar" \
	--data-urlencode "token@$state/console-caseworker.token" "$console/sign-in" || true)
overview=$(curl -ksS -b "$jar" "$console/" || true)
rm -f "$jar"
console_ok=0
if [[ $signed_in == "303 $console/" ]] && grep -q 'system:serviceaccount:rpa-demo:caseworker' <<<"$overview" &&
	grep -q welcome-letters <<<"$overview"; then
	echo "signed in at $console as system:serviceaccount:rpa-demo:caseworker; the overview lists the robots of $ns"
else
	echo "demo: signing in to the console at $console failed (POST /sign-in: ${signed_in:-no answer})" >&2
	console_ok=1
fi

cat <<EOF

== Done. The cluster keeps running; system-monitor runs every five minutes.
Point kubectl at it:   export KUBECONFIG=$kubeconfig
                       (kubectl: $bin/kubectl)
Try:                   kubectl -n $ns get robots,robotruns,workqueues
                       kubectl -n $ns get workitems
                       kubectl -n $ns get runrecords
                       $root/bin/kubectl-robot -n $ns audit --from $(date -u +%Y-%m-01) --before 2099-01-01
                       $root/bin/kubectl-robot -n $ns queue handle ID --comment "HR has looked at it"
                       kubectl -n $ns create -f config/samples/rpa_v1alpha1_robotrun.yaml
                       kubectl get --raw $sandbox/state
Take a system down:    echo '{"up": false}' | kubectl replace -f - --raw $sandbox/systems/opus
                       (the next system-monitor run fails, naming opus)
The console:           $console   (a self-signed certificate: accept it)
                       sign in with the caseworker's token (starts runs, works exceptions):
                         cat $state/console-caseworker.token
                       or the process owner's (sees robots and runs, has no buttons):
                         cat $state/console-process-owner.token
                       (8 hours; anew: kubectl -n $ns create token caseworker --duration=8h)
Stop and remove it:    make demo-down
EOF

# The demo succeeds when every run ended as its robot meant: certificates
# that are not clean end the certificate robot's run as a business exception
# (HR has work), which is the expected outcome of a first run.
status=0
for run in "${runs[@]}"; do
	case "$(phase "$run")" in
	Succeeded*) ;;
	"Failed BusinessException") [[ $run == certificate-journal-* ]] || status=1 ;;
	*)
		echo "demo: robotrun/$run ended $(phase "$run")" >&2
		status=1
		;;
	esac
done
[[ $console_ok -eq 0 ]] || status=1
if [[ $queue_left -ne 0 ]]; then
	echo "demo: $queue_left certificates still wait in the queue" >&2
	status=1
fi
if [[ $mail_left -ne 0 ]]; then
	echo "demo: $mail_left of the 5 mails were not sorted" >&2
	status=1
fi
exit $status
