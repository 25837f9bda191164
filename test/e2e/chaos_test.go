//go:build e2e && chaos

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// chaosConfig is a chaos run's size, from the environment (make chaos).
type chaosConfig struct {
	// duration is how long the faults go on (CHAOS_DURATION, 5m).
	duration time.Duration
	// robots is how many robots run every minute (CHAOS_ROBOTS, 30).
	robots int
	// itemEvery is how often the producer adds a work item.
	itemEvery time.Duration
	// report is where the table goes (CHAOS_REPORT; none: the log only).
	report string
}

func chaosConfigFromEnv(t *testing.T) chaosConfig {
	t.Helper()
	c := chaosConfig{duration: 5 * time.Minute, robots: 30, itemEvery: 2 * time.Second, report: os.Getenv("CHAOS_REPORT")}
	if v := os.Getenv("CHAOS_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		NewWithT(t).Expect(err).NotTo(HaveOccurred(), "CHAOS_DURATION")
		c.duration = d
	}
	if v := os.Getenv("CHAOS_ROBOTS"); v != "" {
		n, err := strconv.Atoi(v)
		NewWithT(t).Expect(err).NotTo(HaveOccurred(), "CHAOS_ROBOTS")
		c.robots = n
	}
	return c
}

// TestChaos runs a workload of scheduled robots, a queue fleet fed by a
// producer and manual runs while faults strike on their own timers (the
// leader manager SIGKILLed, rpa-server pods killed, PostgreSQL, etcd,
// kube-apiserver and containerd restarted, robot pods SIGKILLed holding
// an item), then checks the final state only: every scheduled time run
// once or counted as skipped or missed, no item lost or done twice in the
// sandbox's journal. docs/reliability.md has its table.
func TestChaos(t *testing.T) {
	cfg := chaosConfigFromEnv(t)
	ns := newNamespace(t)
	scaleOperator(t, 2)
	t.Cleanup(func() { scaleOperator(t, 1) })

	items := int(cfg.duration/cfg.itemEvery) + 10
	sb := deploySandbox(t, ns, map[string]string{
		"SANDBOX_CERTIFICATES": strconv.Itoa(items),
		// Five entries a second: a robot holds each item a moment, so a
		// kill can land while it does.
		"SANDBOX_JOURNAL_RATE":  "5",
		"SANDBOX_JOURNAL_BURST": "1",
	})
	robots := chaosWorkload(t, ns, sb, cfg)
	start := time.Now()
	t.Logf("chaos: %d scheduled robots, a queue fleet, manual runs; faults for %s", len(robots), cfg.duration)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	j := &journalOfFaults{}
	leader, leaderStop := &leaderWatch{}, make(chan struct{})
	go leader.run(leaderStop)
	produced := &producer{queue: "chaos-certificates", ns: ns}
	run := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	run(func() { produced.fill(t, stop, cfg.itemEvery, items-10) })
	run(func() { manualRuns(ns, robots, stop) })
	for _, f := range faultsFor(cfg.duration) {
		run(func() { f.strike(t, ns, j, stop) })
	}
	time.Sleep(cfg.duration)
	close(stop)
	wg.Wait()
	end := time.Now()

	quiesce(t, ns, robots, produced)
	close(leaderStop)

	table := checkChaos(t, ns, sb, robots, produced, j, leader, cfg, start, end)
	if cfg.report != "" {
		writeReliabilityTable(t, cfg.report, table)
	}
}

// quiesce waits until the final state holds still for the checker: every
// item has ended, the scheduled robots are suspended and every run has
// ended.
func quiesce(t *testing.T, ns string, robots []string, produced *producer) {
	t.Helper()
	g := NewWithT(t)
	wi := workItems(t)
	g.Eventually(func(g Gomega) {
		all := listItems(g, wi, ns, produced.queue)
		// An add in doubt when the producer stopped may have landed: at
		// least what it counted.
		g.Expect(len(all)).To(BeNumerically(">=", produced.count()))
		for _, it := range all {
			g.Expect(it.Status.State).To(BeElementOf("Done", "BusinessException", "Failed"), "item %s", it.Spec.Reference)
		}
	}, 10*time.Minute, 2*time.Second).Should(Succeed(), "every item ends once the faults stop")
	suspendAll(t, ns, robots)
	g.Eventually(func(g Gomega) {
		for _, r := range runsIn(g, ns) {
			// A manual run that came just before the suspend waits for the
			// resume, as it should.
			if reason(&r) == rpav1alpha1.ReasonRobotSuspended {
				continue
			}
			g.Expect(r.Status.Phase.Finished()).To(BeTrue(), "run %s is %s", r.Name, r.Status.Phase)
		}
	}, 5*time.Minute, 2*time.Second).Should(Succeed(), "every run ends once the faults stop")
}

// scaleOperator sets the manager's replicas and waits until they are ready.
func scaleOperator(t *testing.T, replicas int32) {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	key := client.ObjectKey{Namespace: operatorNamespace, Name: "rpa-operator-controller-manager"}
	g.Eventually(func() error {
		var d appsv1.Deployment
		if err := k8sClient.Get(ctx, key, &d); err != nil {
			return err
		}
		d.Spec.Replicas = ptr.To(replicas)
		return k8sClient.Update(ctx, &d)
	}, time.Minute, poll).Should(Succeed())
	g.Eventually(func(g Gomega) {
		var d appsv1.Deployment
		g.Expect(k8sClient.Get(ctx, key, &d)).To(Succeed())
		g.Expect(d.Status.ReadyReplicas).To(Equal(replicas))
	}, 3*time.Minute, poll).Should(Succeed())
}

// chaosWorkload creates the scheduled robots (contract-check, a few
// seconds a run, every minute, the concurrency policies in turn, every
// 4th on a TargetSystem of 3 slots, every 7th with an exclusive
// account), and the queue fleet: certificate-journal on a WorkQueue that
// starts 2 runs at a time. It returns the scheduled robots' names.
func chaosWorkload(t *testing.T, ns string, sb sandboxDeployment, cfg chaosConfig) []string {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	ts := &rpav1alpha1.TargetSystem{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-chaos"},
		Spec:       rpav1alpha1.TargetSystemSpec{MaxConcurrentRuns: 3},
	}
	g.Expect(k8sClient.Create(ctx, ts)).To(Succeed())
	t.Cleanup(func() { _ = k8sClient.Delete(ctx, ts) })
	g.Expect(k8sClient.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "chaos-account"},
		StringData: map[string]string{"username": "robot-chaos", "password": "FAKE"},
	})).To(Succeed())
	policies := []rpav1alpha1.ConcurrencyPolicy{rpav1alpha1.ConcurrencyAllow, rpav1alpha1.ConcurrencyForbid, rpav1alpha1.ConcurrencyReplace, rpav1alpha1.ConcurrencyQueue}
	names := make([]string, 0, cfg.robots)
	for i := range cfg.robots {
		name := fmt.Sprintf("probe-%03d", i)
		testRobot(t, ns, name, func(r *rpav1alpha1.Robot) {
			r.Spec.Parameters = []rpav1alpha1.Parameter{{Name: "mode", Default: ptr.To("sleep")},
				{Name: "items", Default: ptr.To("1")}, {Name: "sleep", Default: ptr.To("3s")}}
			r.Spec.Schedules = []rpav1alpha1.Schedule{{Name: "every-minute", Cron: "* * * * *", TimeZone: "Europe/Copenhagen"}}
			r.Spec.ConcurrencyPolicy = policies[i%len(policies)]
			r.Spec.Retries.Limit = 2
			// The checker counts runs: none may be pruned before it reads.
			r.Spec.SuccessfulRunsHistoryLimit, r.Spec.FailedRunsHistoryLimit = ptr.To[int32](1000), ptr.To[int32](1000)
			if i%4 == 3 {
				r.Spec.Systems = []string{ts.Name}
			}
			if i%7 == 6 {
				r.Spec.Credentials = []rpav1alpha1.Credential{{Name: "account", SecretName: "chaos-account", Account: "robot-chaos", Exclusive: true}}
			}
		})
		names = append(names, name)
	}
	sampleRobot(t, ns, "certificate-journal", sb, func(r *rpav1alpha1.Robot) {
		r.Name = "chaos-certificates"
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
		r.Spec.Retries.Limit = 3
	})
	wq := &rpav1alpha1.WorkQueue{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "chaos-certificates"},
		Spec: rpav1alpha1.WorkQueueSpec{
			UniqueReferences: true,
			MaxAttempts:      10,
			Robots:           []string{"chaos-certificates"},
			Trigger:          &rpav1alpha1.WorkQueueTrigger{RobotName: "chaos-certificates", MinItems: 1, MaxConcurrentRuns: 2, ItemsPerRun: 20},
		},
	}
	g.Expect(k8sClient.Create(ctx, wq)).To(Succeed())
	return names
}

// producer adds one certificate at a time to the queue, as a mailbox
// robot would, retrying an add that failed under a fault: the reference
// is unique, so a retry after a lost answer adds nothing twice.
type producer struct {
	queue, ns string
	mu        sync.Mutex
	added     int
}

func (p *producer) fill(t *testing.T, stop <-chan struct{}, every time.Duration, most int) {
	c := workItems(t)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for n := 1; n <= most; n++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		id := fmt.Sprintf("SA-%06d", n)
		body, _ := json.Marshal(map[string]any{
			"apiVersion": "queue.rpa.dev/v1alpha1", "kind": "WorkItem",
			"spec": map[string]any{"queue": p.queue, "reference": id, "payload": map[string]string{"certificateId": id}},
		})
		for {
			err := c.Post().Namespace(p.ns).Resource("workitems").Body(body).Do(context.Background()).Error()
			if err == nil || strings.Contains(err.Error(), "already exists") {
				break
			}
			select {
			case <-stop:
				// An add in doubt at the end is checked, not counted.
				p.mu.Lock()
				p.added = n - 1
				p.mu.Unlock()
				return
			case <-time.After(time.Second):
			}
		}
		p.mu.Lock()
		p.added = n
		p.mu.Unlock()
	}
}

func (p *producer) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.added
}

// manualRuns starts a run of a random robot every 10 to 30 s, as people
// do, retrying through faults.
func manualRuns(ns string, robots []string, stop <-chan struct{}) {
	for n := 1; ; n++ {
		select {
		case <-stop:
			return
		case <-time.After(time.Duration(10+rand.IntN(20)) * time.Second):
		}
		robot := robots[rand.IntN(len(robots))]
		run := &rpav1alpha1.RobotRun{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("manual-%03d", n)},
			Spec:       rpav1alpha1.RobotRunSpec{RobotName: robot},
		}
		for k8sClient.Create(context.Background(), run) != nil {
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
			}
			run.ResourceVersion = ""
		}
	}
}

// suspendAll suspends the scheduled robots, so that the final state holds
// still for the checker.
func suspendAll(t *testing.T, ns string, robots []string) {
	t.Helper()
	for _, name := range robots {
		NewWithT(t).Eventually(func() error {
			var r rpav1alpha1.Robot
			if err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &r); err != nil {
				return err
			}
			r.Spec.Suspend = true
			return k8sClient.Update(context.Background(), &r)
		}, time.Minute, poll).Should(Succeed())
	}
}

// fault is one kind of fault on its own timer.
type fault struct {
	kind   string
	first  time.Duration
	every  time.Duration
	strike func(t *testing.T, ns string, j *journalOfFaults, stop <-chan struct{})
}

// faultsFor are the faults of a run of d: each on its period, and each at
// least twice however short the run.
func faultsFor(d time.Duration) []fault {
	kinds := []struct {
		kind         string
		first, every time.Duration
		do           func(t *testing.T, ns string) error
		recovered    func(t *testing.T, ns string) bool
	}{
		{"leader manager SIGKILL", 15 * time.Second, 20 * time.Second, killLeader, newLeader},
		{"rpa-server pod SIGKILL", 40 * time.Second, 90 * time.Second, killServerPod, serverReady},
		{"robot pod SIGKILL holding an item", 25 * time.Second, 45 * time.Second, killItemHolder, nil},
		{"PostgreSQL restart", 70 * time.Second, 5 * time.Minute, restartOf("postgres"), itemsAPIAnswers},
		{"kube-apiserver restart", 100 * time.Second, 6 * time.Minute, restartOf("kube-apiserver"), apiserverReady},
		{"etcd restart", 130 * time.Second, 7 * time.Minute, restartOf("etcd"), apiserverReady},
		{"containerd restart", 160 * time.Second, 8 * time.Minute, restartOf("containerd"), containerdAnswers},
	}
	out := make([]fault, 0, len(kinds))
	for i, k := range kinds {
		every := min(k.every, d/2)
		// Shortened, the first strikes keep apart: one fault at a time.
		first := min(k.first, every*time.Duration(i+1)/time.Duration(len(kinds)+1))
		out = append(out, fault{kind: k.kind, first: first, every: every, strike: func(t *testing.T, ns string, j *journalOfFaults, stop <-chan struct{}) {
			wait := first
			for {
				select {
				case <-stop:
					return
				case <-time.After(wait):
				}
				wait = every
				at := time.Now()
				if err := k.do(t, ns); err != nil {
					j.record(k.kind, at, notApplied, err)
					continue
				}
				t.Logf("chaos: %s at %s", k.kind, at.Format("15:04:05"))
				if k.recovered == nil {
					// Nothing to wait for: the item goes back to the queue.
					j.record(k.kind, at, noRecovery, nil)
					continue
				}
				j.record(k.kind, at, recoveryOf(t, ns, k.recovered, at), nil)
			}
		}})
	}
	return out
}

// Recovery durations that are not durations.
const (
	notApplied   = -1 // nothing to hit (no item held at the moment)
	notRecovered = -2 // not within maxRecovery
	noRecovery   = -3 // nothing to recover: a robot pod's item returns to the queue
)

// maxRecovery bounds the wait for a recovery: a cluster that does not
// recover fails the run instead of hanging it.
const maxRecovery = 5 * time.Minute

// recoveryOf waits until recovered holds and says how long since at.
func recoveryOf(t *testing.T, ns string, recovered func(*testing.T, string) bool, at time.Time) time.Duration {
	for !recovered(t, ns) {
		if time.Since(at) > maxRecovery {
			return notRecovered
		}
		time.Sleep(200 * time.Millisecond)
	}
	return time.Since(at)
}

// journalOfFaults is what was done, and how long each took to recover.
type journalOfFaults struct {
	mu      sync.Mutex
	entries []faultEntry
}

type faultEntry struct {
	kind      string
	at        time.Time
	recovered time.Duration // or notApplied, notRecovered
	err       error
}

func (j *journalOfFaults) record(kind string, at time.Time, recovered time.Duration, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, faultEntry{kind, at, recovered, err})
}

// leaderLease is the manager's leader election Lease.
func leaderLease() (*coordinationv1.Lease, error) {
	return clientset.CoordinationV1().Leases(operatorNamespace).Get(context.Background(), "rpa-operator.rpa.dev", metav1.GetOptions{})
}

// leaderWatch finds the longest time without a leader: between two
// renewals of the manager's Lease by a holder, as the Lease records them
// (a released Lease has no holder and renews nothing).
type leaderWatch struct {
	mu      sync.Mutex
	last    time.Time
	longest time.Duration
	from    time.Time
}

// run reads the Lease four times a second until stop.
func (w *leaderWatch) run(stop <-chan struct{}) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		lease, err := leaderLease()
		if err != nil || lease.Spec.RenewTime == nil || ptr.Deref(lease.Spec.HolderIdentity, "") == "" {
			continue
		}
		w.renewed(lease.Spec.RenewTime.Time)
	}
}

func (w *leaderWatch) renewed(at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !at.After(w.last) {
		return
	}
	if !w.last.IsZero() && at.Sub(w.last) > w.longest {
		w.longest, w.from = at.Sub(w.last), w.last
	}
	w.last = at
}

// String says how long the longest time without a leader was, and when.
func (w *leaderWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.longest == 0 {
		return "no renewal of the leader Lease was seen twice"
	}
	return fmt.Sprintf("%s, from %s UTC", w.longest.Round(100*time.Millisecond), w.from.UTC().Format("15:04:05"))
}

var lastLeader struct {
	mu   sync.Mutex
	name string
}

// killLeader SIGKILLs the container of the manager pod that leads.
func killLeader(_ *testing.T, _ string) error {
	lease, err := leaderLease()
	if err != nil {
		return err
	}
	holder := ptr.Deref(lease.Spec.HolderIdentity, "")
	pod, _, _ := strings.Cut(holder, "_")
	if pod == "" {
		return fmt.Errorf("no leader holds the lease")
	}
	lastLeader.mu.Lock()
	lastLeader.name = holder
	lastLeader.mu.Unlock()
	return killPodContainer(operatorNamespace, pod, "SIGKILL")
}

// newLeader: another replica holds the lease and renews it.
func newLeader(*testing.T, string) bool {
	lease, err := leaderLease()
	if err != nil || lease.Spec.RenewTime == nil {
		return false
	}
	lastLeader.mu.Lock()
	defer lastLeader.mu.Unlock()
	return ptr.Deref(lease.Spec.HolderIdentity, "") != lastLeader.name && time.Since(lease.Spec.RenewTime.Time) < 5*time.Second
}

// killedServer is the rpa-server pod last killed and its restarts then.
var killedServer struct {
	mu       sync.Mutex
	pod      string
	restarts int32
}

// killServerPod SIGKILLs one rpa-server pod's container.
func killServerPod(_ *testing.T, _ string) error {
	pods, err := clientset.CoreV1().Pods(operatorNamespace).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=rpa-server"})
	if err != nil {
		return err
	}
	if len(pods.Items) == 0 {
		return fmt.Errorf("no rpa-server pod")
	}
	pod := pods.Items[rand.IntN(len(pods.Items))]
	if len(pod.Status.ContainerStatuses) == 0 {
		return fmt.Errorf("pod %s has no container status", pod.Name)
	}
	killedServer.mu.Lock()
	killedServer.pod, killedServer.restarts = pod.Name, pod.Status.ContainerStatuses[0].RestartCount
	killedServer.mu.Unlock()
	return killPodContainer(operatorNamespace, pod.Name, "SIGKILL")
}

// serverReady: the killed rpa-server container has restarted and its pod
// is ready again.
func serverReady(*testing.T, string) bool {
	killedServer.mu.Lock()
	name, restarts := killedServer.pod, killedServer.restarts
	killedServer.mu.Unlock()
	pod, err := clientset.CoreV1().Pods(operatorNamespace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil || len(pod.Status.ContainerStatuses) == 0 {
		return false
	}
	c := pod.Status.ContainerStatuses[0]
	return c.RestartCount > restarts && c.Ready
}

// killItemHolder SIGKILLs the robot pod holding a work item of the
// fleet, waiting up to 15 s for one to hold one.
func killItemHolder(t *testing.T, ns string) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		list := &queuev1alpha1.WorkItemList{}
		if err := workItems(t).Get().Namespace(ns).Resource("workitems").Param("fieldSelector", "status.state=InProgress").
			Do(context.Background()).Into(list); err == nil {
			for _, it := range list.Items {
				if it.Status.HeldBy != nil {
					return killPodContainer(ns, it.Status.HeldBy.Pod, "SIGKILL")
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("no item held within 15 s")
}

// restartOf restarts a process of the local cluster (hack/local-cluster.sh
// restart NAME: stopped by its recorded pid, started again).
func restartOf(name string) func(*testing.T, string) error {
	return func(*testing.T, string) error {
		out, err := exec.Command(filepath.Join(repoRoot, "hack", "local-cluster.sh"), "restart", name).CombinedOutput()
		if err != nil {
			return fmt.Errorf("restart %s: %w: %s", name, err, out)
		}
		return nil
	}
}

func apiserverReady(*testing.T, string) bool {
	_, err := clientset.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(context.Background())
	return err == nil
}

func itemsAPIAnswers(t *testing.T, ns string) bool {
	list := &queuev1alpha1.WorkItemList{}
	return workItems(t).Get().Namespace(ns).Resource("workitems").Param("limit", "1").Do(context.Background()).Into(list) == nil
}

func containerdAnswers(*testing.T, string) bool {
	return exec.Command("ctr", "--address", os.Getenv("E2E_CONTAINERD_ADDRESS"), "version").Run() == nil
}

// killPodContainer signals the first container of a pod through the
// node's containerd, as the OOM killer would.
func killPodContainer(ns, pod, signal string) error {
	p, err := clientset.CoreV1().Pods(ns).Get(context.Background(), pod, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if len(p.Status.ContainerStatuses) == 0 || p.Status.ContainerStatuses[0].State.Running == nil {
		return fmt.Errorf("pod %s has no running container", pod)
	}
	id := strings.TrimPrefix(p.Status.ContainerStatuses[0].ContainerID, "containerd://")
	out, err := exec.Command("ctr", "--address", os.Getenv("E2E_CONTAINERD_ADDRESS"), "-n", "k8s.io", "tasks", "kill", "-s", signal, id).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ctr tasks kill %s: %w: %s", pod, err, out)
	}
	return nil
}
