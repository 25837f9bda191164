package integration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/pgtest"
	runrecords "github.com/rpa-operator/rpa-operator/internal/runrecord/store"
	"github.com/rpa-operator/rpa-operator/internal/server/runrecorder"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/store"
)

// labelRecorded marks the namespaces where the suite's copy of
// config/server/run-record-finalizer.yaml holds runs for their records:
// the other tests' runs go as they would without rpa-server.
const labelRecorded = "rpa.dev/test-recorded"

// recorderStopWait is short here: envtest has no kubelet to stop pods.
const recorderStopWait = 2 * time.Second

// setUpRecorder adds the run recorder as cmd/rpa-server does, reading
// logs through kube-apiserver (envtest has no kubelet: the records say so).
func setUpRecorder(mgr ctrl.Manager, cfg *rest.Config, recs *runrecords.Store, workItems *store.Store) error {
	clientset, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if err := (&runrecorder.Reconciler{
		Client: mgr.GetClient(), Records: recs, Items: workItems, Logs: runrecorder.KubeletLogs{Clientset: clientset},
		Clock: testClock, Events: mgr.GetEventRecorder("rpa-server"), StopWait: recorderStopWait,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	return (&runrecorder.SuspensionRecorder{Client: mgr.GetClient(), Changes: recs}).SetupWithManager(mgr)
}

// installRecordPolicy creates the shipped finalizer policy, narrowed to
// namespaces labelled labelRecorded, and waits until it takes effect.
func installRecordPolicy(ctx context.Context) error {
	objs, err := readObjects(filepath.Join("..", "..", "config", "server", "run-record-finalizer.yaml"))
	if err != nil {
		return err
	}
	for _, obj := range objs {
		if obj.GetKind() == "MutatingAdmissionPolicy" {
			if err := unstructured.SetNestedStringMap(obj.Object, map[string]string{labelRecorded: "true"},
				"spec", "matchConstraints", "namespaceSelector", "matchLabels"); err != nil {
				return err
			}
		}
		if err := k8sClient.Create(ctx, obj); err != nil {
			return fmt.Errorf("create %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
	}
	probeNS := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "rpa-test-record-probe", Labels: map[string]string{labelRecorded: "true"}}}
	if err := k8sClient.Create(ctx, probeNS); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		probe := &rpav1alpha1.RobotRun{
			ObjectMeta: metav1.ObjectMeta{Namespace: probeNS.Name, Name: "policy-probe"},
			Spec:       rpav1alpha1.RobotRunSpec{RobotName: "probe"},
		}
		if k8sClient.Create(ctx, probe, client.DryRunAll) == nil && controllerutil.ContainsFinalizer(probe, rpav1alpha1.FinalizerRunRecord) {
			return nil
		}
		time.Sleep(interval)
	}
	return errors.New("the run-record finalizer policy is not in effect after " + timeout.String())
}

// newRecordedNamespace is a namespace of the test's own whose runs are
// recorded.
func newRecordedNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "test-", Labels: map[string]string{labelRecorded: "true"}}}
	NewWithT(t).Expect(k8sClient.Create(context.Background(), ns)).To(Succeed())
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), ns) })
	return ns.Name
}

// waitForRecord waits until the run is recorded and let go.
func waitForRecord(g Gomega, recs *runrecords.Store, run *rpav1alpha1.RobotRun) runrecords.Record {
	var rec runrecords.Record
	g.Eventually(func(g Gomega) {
		var err error
		rec, err = recs.Get(context.Background(), run.Namespace, string(run.UID))
		g.Expect(err).NotTo(HaveOccurred())
		got := &rpav1alpha1.RobotRun{}
		err = k8sClient.Get(context.Background(), objectKey(run), got)
		if err == nil {
			g.Expect(got.Finalizers).NotTo(ContainElement(rpav1alpha1.FinalizerRunRecord), "recorded, so let go")
		} else {
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue())
		}
	}, timeout, interval).Should(Succeed())
	return rec
}

func TestEveryOutcomeIsRecordedWithWhoAndWhat(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newRecordedNamespace(t)
	createSecret(t, ns, "esdh-login", map[string]string{"username": "rpa-hr", "password": "Sommer2026!"})
	robot := createRobot(t, ns, "certificate-journal", func(r *rpav1alpha1.Robot) {
		r.Spec.Retries.Limit = 1
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
		r.Spec.Parameters = []rpav1alpha1.Parameter{{Name: "batchSize", Default: ptr.To("20")}}
		r.Spec.Credentials = []rpav1alpha1.Credential{{Name: "esdh", SecretName: "esdh-login", Account: "rpa-hr"}}
	})
	caseworker := clientAs(t, ns, "anne@roskilde.dk", applyUserRole(t, "rpa_robot_runner_role.yaml"))
	newRun := func(name string) *rpav1alpha1.RobotRun {
		run := &rpav1alpha1.RobotRun{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec:       rpav1alpha1.RobotRunSpec{RobotName: robot.Name, Arguments: map[string]string{"batchSize": "40"}},
		}
		g.Expect(caseworker.Create(ctx, run)).To(Succeed())
		g.Expect(run.Finalizers).To(ConsistOf(rpav1alpha1.FinalizerRunRecord), "held for its record from creation")
		return run
	}

	succeeded := newRun("ok")
	job := waitForJob(g, succeeded)
	startJob(g, job)
	pod := createPod(g, job, "a1")
	runPod(g, pod)
	endPod(g, pod, 0, journalResult)
	completeJob(g, job)

	business := newRun("protected-address")
	job = waitForJob(g, business)
	startJob(g, job)
	endPod(g, createPod(g, job, "a1"), 3, `{"itemsProcessed":1,"businessExceptions":1,"summary":"address protection"}`)
	failJob(g, job, batchv1.JobReasonPodFailurePolicy, 1)

	exhausted := newRun("esdh-down")
	job = waitForJob(g, exhausted)
	startJob(g, job)
	endPod(g, createPod(g, job, "a1"), 1, "connection refused")
	endPod(g, createPod(g, job, "a2"), 1, "connection refused")
	failJob(g, job, batchv1.JobReasonBackoffLimitExceeded, 2)

	timedOut := newRun("slow")
	job = waitForJob(g, timedOut)
	startJob(g, job)
	endPod(g, createPod(g, job, "a1"), 143, "")
	failJob(g, job, batchv1.JobReasonDeadlineExceeded, 1)

	cancelled := newRun("stop-me")
	job = waitForJob(g, cancelled)
	startJob(g, job)
	runPod(g, createPod(g, job, "a1"))
	waitForOutcome(g, cancelled, rpav1alpha1.PhaseRunning, rpav1alpha1.ReasonRunning)
	g.Expect(caseworker.Patch(ctx, cancelled, client.RawPatch(client.Merge.Type(), []byte(`{"spec":{"cancel":true}}`)))).To(Succeed())

	deleted := newRun("deleted-while-running")
	job = waitForJob(g, deleted)
	startJob(g, job)
	runPod(g, createPod(g, job, "a1"))
	waitForOutcome(g, deleted, rpav1alpha1.PhaseRunning, rpav1alpha1.ReasonRunning)
	g.Expect(k8sClient.Delete(ctx, deleted)).To(Succeed())

	for _, tt := range []struct {
		run      *rpav1alpha1.RobotRun
		phase    rpav1alpha1.RunPhase
		reason   string
		attempts int
		logs     int
	}{
		{succeeded, rpav1alpha1.PhaseSucceeded, rpav1alpha1.ReasonCompleted, 1, 1},
		{business, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonBusinessException, 1, 1},
		{exhausted, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonRetriesExhausted, 2, 2},
		{timedOut, rpav1alpha1.PhaseTimedOut, rpav1alpha1.ReasonDeadlineExceeded, 1, 1},
		{cancelled, rpav1alpha1.PhaseCancelled, rpav1alpha1.ReasonCancelled, 1, 1},
		{deleted, rpav1alpha1.PhaseCancelled, rpav1alpha1.ReasonRunDeleted, 1, 1},
	} {
		t.Run(tt.run.Name, func(t *testing.T) {
			g := NewWithT(t)
			rec := waitForRecord(g, records, tt.run)
			g.Expect(rec.Robot).To(Equal(robot.Name))
			g.Expect(rec.Run).To(Equal(tt.run.Name))
			g.Expect(rec.Phase).To(Equal(string(tt.phase)))
			g.Expect(rec.Reason).To(Equal(tt.reason))
			g.Expect(rec.Attempts).To(Equal(tt.attempts))
			g.Expect(rec.RequestedBy).To(Equal("anne@roskilde.dk"), "stamped by the apiserver")
			g.Expect(rec.Trigger.Type).To(Equal(string(rpav1alpha1.TriggerManual)))
			g.Expect(rec.Arguments).To(Equal(map[string]string{"batchSize": "40"}))
			g.Expect(rec.Image).To(Equal(robotImage))
			g.Expect(rec.Credentials).To(Equal([]runrecords.Credential{{Name: "esdh", SecretName: "esdh-login", Account: "rpa-hr"}}))
			g.Expect(fmt.Sprintf("%+v", rec)).NotTo(ContainSubstring("Sommer2026!"), "no Secret value in a record")
			logs, err := records.Logs(ctx, ns, rec.UID)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(logs).To(HaveLen(tt.logs), "one log per attempt")
			for i, l := range logs {
				g.Expect(l.Attempt).To(Equal(i + 1))
				// envtest has no kubelet: the record says why there is no log.
				g.Expect(l.Note).To(ContainSubstring("the kubelet gave no log"))
			}
		})
	}
	rec := waitForRecord(g, records, succeeded)
	g.Expect(rec.ImageID).To(Equal(robotImageID))
	g.Expect(rec.Result).To(MatchJSON(`{"itemsProcessed": 12, "itemsSucceeded": 11, "itemsFailed": 0, "businessExceptions": 1,
		"summary": "12 certificates journalled, 1 sent to HR"}`))
	g.Expect(rec.StartedAt).NotTo(BeNil())
	cancelledRec := waitForRecord(g, records, cancelled)
	g.Expect(cancelledRec.CancelledBy).To(Equal("anne@roskilde.dk"))
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8sClient.Get(ctx, objectKey(deleted), &rpav1alpha1.RobotRun{}))
	}, timeout, interval).Should(BeTrue(), "a deleted run goes once it is recorded")
}

func TestPrunedRunsAreRecordedFirst(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newRecordedNamespace(t)
	robot := createRobot(t, ns, "welcome-letters", func(r *rpav1alpha1.Robot) { r.Spec.SuccessfulRunsHistoryLimit = ptr.To[int32](1) })
	runs := make([]*rpav1alpha1.RobotRun, 0, 3)
	for i := range 3 {
		run := createRun(t, ns, fmt.Sprintf("letters-%d", i), robot.Name, nil)
		finishRun(g, run, `{"itemsProcessed":40}`)
		runs = append(runs, run)
	}
	for _, run := range runs {
		waitForRecord(g, records, run)
	}
	g.Eventually(func(g Gomega) {
		var list rpav1alpha1.RobotRunList
		g.Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
		g.Expect(list.Items).To(HaveLen(1), "pruned to the history limit once recorded")
	}, timeout, interval).Should(Succeed())
	recs, err := records.List(ctx, runrecords.ListOptions{Namespace: ns, Robot: robot.Name})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(recs).To(HaveLen(3), "every run is in the records, once")
}

func TestOnlyRPAServerLetsARunGoAndAnApplyKeepsTheHold(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newRecordedNamespace(t)
	createRobot(t, ns, "welcome-letters", func(r *rpav1alpha1.Robot) { r.Spec.Suspend = true })
	runner := clientAs(t, ns, "caseworker", applyUserRole(t, "rpa_robot_runner_role.yaml"))
	run := &rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "held"}, Spec: rpav1alpha1.RobotRunSpec{RobotName: "welcome-letters"}}
	g.Expect(runner.Create(ctx, run)).To(Succeed())

	err := runner.Patch(ctx, run, client.RawPatch(client.Merge.Type(), []byte(`{"metadata":{"finalizers":[]}}`)))
	g.Expect(err).NotTo(HaveOccurred(), "the policy puts the hold back")
	g.Expect(k8sClient.Get(ctx, objectKey(run), run)).To(Succeed())
	g.Expect(run.Finalizers).To(ConsistOf(rpav1alpha1.FinalizerRunRecord))
	err = runner.Patch(ctx, run, client.RawPatch(client.Merge.Type(),
		[]byte(`{"metadata":{"finalizers":["rpa.dev/run-record","example.com/keep-forever"]}}`)))
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "another finalizer: %v", err)

	applied := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rpa.dev/v1alpha1", "kind": "RobotRun",
		"metadata": map[string]any{"namespace": ns, "name": "in-git"},
		"spec":     map[string]any{"robotName": "welcome-letters"},
	}}
	apply := func() error {
		return k8sClient.Apply(ctx, client.ApplyConfigurationFromUnstructured(applied.DeepCopy()), client.FieldOwner(sampleApplier), client.ForceOwnership)
	}
	g.Expect(apply()).To(Succeed())
	g.Expect(apply()).To(Succeed(), "applied again without the finalizer")
	got := &rpav1alpha1.RobotRun{}
	g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "in-git"}, got)).To(Succeed())
	g.Expect(got.Finalizers).To(ConsistOf(rpav1alpha1.FinalizerRunRecord))
}

// cuttableProxy forwards TCP to a PostgreSQL server and can cut every
// connection and refuse new ones, then let them through again: the
// network between rpa-server and its database failing.
type cuttableProxy struct {
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newCuttableProxy(t *testing.T, target string) *cuttableProxy {
	p := &cuttableProxy{target: target}
	NewWithT(t).Expect(p.open("127.0.0.1:0")).To(Succeed())
	t.Cleanup(p.cut)
	return p
}

func (p *cuttableProxy) open(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go p.accept(ln)
	return nil
}

func (p *cuttableProxy) accept(ln net.Listener) {
	for {
		in, err := ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = in.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(out, in); _ = out.Close() }()
		go func() { _, _ = io.Copy(in, out); _ = in.Close() }()
	}
}

func (p *cuttableProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

func (p *cuttableProxy) restore(g Gomega) {
	g.Eventually(func() error { return p.open(p.addr) }, timeout, interval).Should(Succeed())
}

// TestRunsWaitForTheirRecordWhileTheDatabaseIsDown runs a second
// recorder, through a connection that is cut, in a namespace of its own:
// the runs still run; their records wait (Recorded False, and pruning
// with them), and are written once, each, when the database is back.
func TestRunsWaitForTheirRecordWhileTheDatabaseIsDown(t *testing.T) {
	g := NewWithT(t)
	ctx, cancel := context.WithCancel(context.Background())
	pgURL, stopPostgres, err := pgtest.Start()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(stopPostgres)
	proxy := newCuttableProxy(t, hostPortOf(g, pgURL))
	viaProxy := replaceHost(g, pgURL, proxy.addr)
	own, err := runrecords.Open(ctx, viaProxy, testClock)
	g.Expect(err).NotTo(HaveOccurred())
	ownItems, err := store.Open(ctx, viaProxy, store.Options{Clock: testClock, ReferenceKey: referenceKy})
	g.Expect(err).NotTo(HaveOccurred())

	t.Cleanup(own.Close)
	t.Cleanup(ownItems.Close)
	startSecondServer(t, ctx, cancel, func(mgr ctrl.Manager, cfg *rest.Config) error {
		return setUpRecorder(mgr, cfg, own, ownItems)
	})

	ns := &corev1.Namespace{}
	if err := k8sClient.Get(ctx, client.ObjectKey{Name: dbDownNamespace}, ns); apierrors.IsNotFound(err) {
		ns = &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: dbDownNamespace}}
		g.Expect(k8sClient.Create(ctx, ns)).To(Succeed())
	}
	g.Expect(k8sClient.Patch(ctx, ns, client.RawPatch(client.Merge.Type(),
		[]byte(`{"metadata":{"labels":{"`+labelRecorded+`":"true"}}}`)))).To(Succeed())
	robot := createRobot(t, dbDownNamespace, "mail-sorter", func(r *rpav1alpha1.Robot) { r.Spec.SuccessfulRunsHistoryLimit = ptr.To[int32](0) })
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), robot) })

	proxy.cut()
	runs := make([]*rpav1alpha1.RobotRun, 0, 2)
	for i := range 2 {
		run := createRun(t, dbDownNamespace, fmt.Sprintf("post-%d", i), robot.Name, nil)
		finishRun(g, run, `{"itemsProcessed":3}`)
		runs = append(runs, run)
	}
	for _, run := range runs {
		g.Eventually(func(g Gomega) {
			got := getRun(g, run)
			c := meta.FindStatusCondition(got.Status.Conditions, rpav1alpha1.ConditionRecorded)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(c.Reason).To(Equal(rpav1alpha1.ReasonRecordPending))
			g.Expect(c.Message).NotTo(ContainSubstring("postgres://"))
			g.Expect(got.DeletionTimestamp).NotTo(BeNil(), "pruned (history limit 0), and held")
		}, timeout, interval).Should(Succeed())
	}

	// The backlog rpa-server exports for the RunRecordsPending alert.
	g.Expect(pendingSeries(g, "rpa_run_records_pending", dbDownNamespace)).To(Equal(2.0))
	g.Expect(pendingSeries(g, "rpa_run_record_oldest_pending_seconds", dbDownNamespace)).To(BeNumerically(">", 0))

	proxy.restore(g)
	for _, run := range runs {
		rec := waitForRecord(g, own, run)
		g.Expect(rec.Phase).To(Equal(string(rpav1alpha1.PhaseSucceeded)))
		g.Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, objectKey(run), &rpav1alpha1.RobotRun{}))
		}, timeout, interval).Should(BeTrue(), "let go once recorded, and pruned")
	}
	recs, err := own.List(ctx, runrecords.ListOptions{Namespace: dbDownNamespace, Robot: robot.Name})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(recs).To(HaveLen(2), "each run once")
	g.Expect(pendingSeries(g, "rpa_run_records_pending", dbDownNamespace)).To(BeZero(), "no backlog left")
}

// pendingSeries scrapes rpa-server's run-record collector, reading runs
// from the apiserver, and returns the namespace's value of the metric
// (zero when it has no series).
func pendingSeries(g Gomega, metric, namespace string) float64 {
	reg := prometheus.NewPedanticRegistry()
	g.Expect(reg.Register(runrecorder.NewPendingCollector(k8sClient, testClock))).To(Succeed())
	families, err := reg.Gather()
	g.Expect(err).NotTo(HaveOccurred())
	for _, f := range families {
		if f.GetName() != metric {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "namespace" && l.GetValue() == namespace {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return 0
}

// hostPortOf is the host:port of a PostgreSQL URL.
func hostPortOf(g Gomega, pgURL string) string {
	u, err := url.Parse(pgURL)
	g.Expect(err).NotTo(HaveOccurred())
	return u.Host
}

// replaceHost is the URL with another host:port.
func replaceHost(g Gomega, pgURL, hostPort string) string {
	u, err := url.Parse(pgURL)
	g.Expect(err).NotTo(HaveOccurred())
	u.Host = hostPort
	return u.String()
}

// TestRetentionFollowsTheNamespacesAnnotation: a namespace's records are
// kept as long as its rpa.dev/run-record-retention says, 13 months
// without it, and the default when it says something too short.
func TestRetentionFollowsTheNamespacesAnnotation(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	now := testClock.Now()
	namespaceWith := func(retention string) string {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "test-"}}
		if retention != "" {
			ns.Annotations = map[string]string{runrecorder.AnnotationRetention: retention}
		}
		g.Expect(k8sClient.Create(ctx, ns)).To(Succeed())
		t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), ns) })
		return ns.Name
	}
	short, plain, tooShort := namespaceWith("30d"), namespaceWith(""), namespaceWith("7d")
	finishedDaysAgo := func(ns, run string, days int) {
		at := now.Add(-time.Duration(days) * 24 * time.Hour)
		r := runrecords.Record{UID: ns + "-" + run, Namespace: ns, Robot: "letters", Run: run, Trigger: runrecords.Trigger{Type: "Manual"},
			CreatedAt: at, FinishedAt: at, Phase: "Succeeded"}
		_, err := records.Add(ctx, r)
		g.Expect(err).NotTo(HaveOccurred())
	}
	for _, ns := range []string{short, plain, tooShort} {
		finishedDaysAgo(ns, "old", 40)
		finishedDaysAgo(ns, "new", 1)
	}
	retention := &runrecorder.Retention{Records: records, Decisions: items, Namespaces: k8sClient, Clock: testClock}
	g.Expect(retention.Once(ctx)).To(Succeed())
	left := func(ns string) []string {
		recs, err := records.List(ctx, runrecords.ListOptions{Namespace: ns})
		g.Expect(err).NotTo(HaveOccurred())
		runs := make([]string, 0, len(recs))
		for _, r := range recs {
			runs = append(runs, r.Run)
		}
		return runs
	}
	g.Expect(left(short)).To(Equal([]string{"new"}), "30 days")
	g.Expect(left(plain)).To(ConsistOf("new", "old"), "13 months")
	g.Expect(left(tooShort)).To(ConsistOf("new", "old"), "7d is refused: the default holds")
}

// TestRunsThatFailWithoutRunningAreRecordedToo: a run of a robot that does
// not exist, with arguments its robot refuses, whose image cannot be
// pulled, whose Job someone deleted, or that crashed without retries is
// recorded like any other, with its reason.
func TestRunsThatFailWithoutRunningAreRecordedToo(t *testing.T) {
	ns := newRecordedNamespace(t)
	createRobot(t, ns, "welcome-letters", func(r *rpav1alpha1.Robot) {
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
		r.Spec.Parameters = []rpav1alpha1.Parameter{{Name: "municipality", Required: true}}
	})
	args := map[string]string{"municipality": "Roskilde"}
	for _, tt := range []struct {
		name, robot string
		args        map[string]string
		drive       func(g Gomega, run *rpav1alpha1.RobotRun)
		reason      string
	}{
		{"no-robot", "no-such-robot", nil, nil, rpav1alpha1.ReasonRobotNotFound},
		{"missing-argument", "welcome-letters", nil, nil, rpav1alpha1.ReasonInvalidArguments},
		{"cannot-pull", "welcome-letters", args, func(g Gomega, run *rpav1alpha1.RobotRun) {
			job := waitForJob(g, run)
			startJob(g, job)
			pullFails(g, createPod(g, job, "a1"), "ErrImageNeverPull")
		}, rpav1alpha1.ReasonImagePullFailed},
		{"job-deleted", "welcome-letters", args, func(g Gomega, run *rpav1alpha1.RobotRun) {
			job := waitForJob(g, run)
			waitForOutcome(g, run, rpav1alpha1.PhasePending, rpav1alpha1.ReasonJobCreated)
			g.Expect(k8sClient.Delete(context.Background(), job, client2propagation())).To(Succeed())
		}, rpav1alpha1.ReasonJobDeleted},
		{"crashed", "welcome-letters", args, func(g Gomega, run *rpav1alpha1.RobotRun) {
			job := waitForJob(g, run)
			startJob(g, job)
			endPod(g, createPod(g, job, "a1"), 2, "panic: nil map")
			failJob(g, job, batchv1.JobReasonBackoffLimitExceeded, 1)
		}, rpav1alpha1.ReasonSystemException},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			run := createRun(t, ns, tt.name, tt.robot, tt.args)
			if tt.drive != nil {
				tt.drive(g, run)
			}
			waitForOutcome(g, run, rpav1alpha1.PhaseFailed, tt.reason)
			rec := waitForRecord(g, records, run)
			g.Expect(rec.Phase).To(Equal(string(rpav1alpha1.PhaseFailed)))
			g.Expect(rec.Reason).To(Equal(tt.reason))
			g.Expect(rec.Robot).To(Equal(tt.robot))
			g.Expect(rec.RequestedBy).NotTo(BeEmpty())
		})
	}
}
