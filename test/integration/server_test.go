package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/pgtest"
	runrecords "github.com/rpa-operator/rpa-operator/internal/runrecord/store"
	"github.com/rpa-operator/rpa-operator/internal/server/holds"
	"github.com/rpa-operator/rpa-operator/internal/server/queuestatus"
	"github.com/rpa-operator/rpa-operator/internal/workqueue"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/store"
)

// rpa-server's ServiceAccount as config/server would install it.
const (
	serverServiceAccount = "rpa-server"
	// serverCountInterval and serverSweepInterval are short here so tests
	// see counts and returned items quickly.
	serverCountInterval = 200 * time.Millisecond
	serverSweepInterval = 500 * time.Millisecond
)

var (
	// items is the store rpa-server uses, for tests to add and take items
	// as robots and people will through its API.
	items *store.Store
	// records is the run-record store rpa-server writes.
	records     *runrecords.Store
	referenceKy = []byte("the integration suite's reference key, 32+ bytes")
)

// startServer runs rpa-server's controllers as cmd/rpa-server does, as its
// own ServiceAccount bound to config/server/rbac/role.yaml, against a real
// PostgreSQL.
func startServer(ctx context.Context, pgURL string) (<-chan error, error) {
	cfg, err := serviceAccountBoundTo(ctx, managerNamespace, serverServiceAccount, "server/rbac/role.yaml", "")
	if err != nil {
		return nil, err
	}
	items, err = store.Open(ctx, pgURL, store.Options{Clock: testClock, ReferenceKey: referenceKy})
	if err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
		Cache: workQueuesIn(dbDownNamespace, false),
	})
	if err != nil {
		return nil, err
	}
	if err := (&queuestatus.Reconciler{
		Client: mgr.GetClient(), Items: items, Clock: testClock, Interval: serverCountInterval,
	}).SetupWithManager(mgr); err != nil {
		return nil, err
	}
	if err := (&holds.Reconciler{Client: mgr.GetClient(), Items: items, SweepInterval: serverSweepInterval}).SetupWithManager(mgr); err != nil {
		return nil, err
	}
	if records, err = runrecords.Open(ctx, pgURL, testClock); err != nil {
		return nil, err
	}
	if err := setUpRecorder(mgr, cfg, records, items); err != nil {
		return nil, err
	}
	stopped := make(chan error, 1)
	go func() {
		stopped <- mgr.Start(ctx)
		items.Close()
		records.Close()
	}()
	return stopped, nil
}

func createWorkQueue(t *testing.T, ns, name string, mutate func(*rpav1alpha1.WorkQueue)) *rpav1alpha1.WorkQueue {
	t.Helper()
	wq := &rpav1alpha1.WorkQueue{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if mutate != nil {
		mutate(wq)
	}
	NewWithT(t).Expect(k8sClient.Create(context.Background(), wq)).To(Succeed())
	return wq
}

func getWorkQueue(g Gomega, wq *rpav1alpha1.WorkQueue) *rpav1alpha1.WorkQueue {
	got := &rpav1alpha1.WorkQueue{}
	g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(wq), got)).To(Succeed())
	return got
}

func addItems(g Gomega, wq *rpav1alpha1.WorkQueue, n int) []int64 {
	batch := make([]store.NewItem, 0, n)
	for i := range n {
		batch = append(batch, store.NewItem{Reference: fmt.Sprintf("cert-%d", i), Payload: json.RawMessage(`{"certificate":1}`)})
	}
	added, err := items.Add(context.Background(), queuestatus.Queue(wq), "anne@aalborg.dk", batch)
	g.Expect(err).NotTo(HaveOccurred())
	ids := make([]int64, 0, n)
	for _, a := range added {
		ids = append(ids, a.Item.ID)
	}
	return ids
}

// TestWorkQueueStatusCountsTheItemsInTheDatabase: rpa-server counts a
// queue's items by state into its status, with the oldest waiting item
// and the overdue ones, so that kubectl and the manager need no database.
func TestWorkQueueStatusCountsTheItemsInTheDatabase(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	wq := createWorkQueue(t, ns, "certificates", func(q *rpav1alpha1.WorkQueue) {
		q.Spec.SLA = &metav1.Duration{Duration: time.Hour}
	})
	g.Eventually(func(g Gomega) {
		got := getWorkQueue(g, wq)
		ready := meta.FindStatusCondition(got.Status.Conditions, rpav1alpha1.ConditionReady)
		g.Expect(ready).NotTo(BeNil())
		g.Expect(ready.Status).To(Equal(metav1.ConditionTrue))
		g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
		g.Expect(got.Spec.MaxAttempts).To(BeEquivalentTo(3), "the default")
		g.Expect(got.Spec.Retention.Duration).To(Equal(720*time.Hour), "the default")
	}, timeout, interval).Should(Succeed())

	addItems(g, wq, 5)
	q := queuestatus.Queue(getWorkQueue(g, wq))
	// A real pod: rpa-server gives back the items of pods that do not exist.
	pod := runPodOf(g, ns, "journal", "journal-1")
	holder := store.Holder{Run: "journal-1", Pod: pod.Name, PodUID: string(pod.UID)}
	taken, err := items.Take(ctx, q, "robot", holder)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = items.Complete(ctx, q, taken.ID, "robot", holder, store.Outcome{Action: workqueue.ActionBusinessException, Reason: "remark"})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = items.Take(ctx, q, "robot", holder)
	g.Expect(err).NotTo(HaveOccurred())

	g.Eventually(func(g Gomega) {
		st := getWorkQueue(g, wq).Status
		g.Expect(st.Items).To(Equal(rpav1alpha1.WorkQueueCounts{New: 3, InProgress: 1, BusinessException: 1}))
		g.Expect(st.OldestNewTime).NotTo(BeNil())
		g.Expect(st.Overdue).To(BeZero())
	}, timeout, interval).Should(Succeed())

	advanceClock(t, 2*time.Hour)
	g.Eventually(func(g Gomega) {
		g.Expect(getWorkQueue(g, wq).Status.Overdue).To(BeEquivalentTo(4), "New and InProgress past the one-hour SLA")
	}, timeout, interval).Should(Succeed())
}

// TestRetentionDeletesFinishedItemsAndKeepsUniqueReferencesRefused: once a
// finished item is older than the queue's retention, rpa-server deletes it
// with its payload; its reference is still refused.
func TestRetentionDeletesFinishedItemsAndKeepsUniqueReferencesRefused(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	wq := createWorkQueue(t, ns, "letters", func(q *rpav1alpha1.WorkQueue) {
		q.Spec.UniqueReferences = true
		q.Spec.Retention = &metav1.Duration{Duration: 24 * time.Hour}
	})
	q := queuestatus.Queue(wq)
	q.MaxAttempts = 3
	id := addItems(g, wq, 1)[0]
	pod := runPodOf(g, ns, "letters", "letters-1")
	holder := store.Holder{Run: "letters-1", Pod: pod.Name, PodUID: string(pod.UID)}
	_, err := items.Take(ctx, q, "robot", holder)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = items.Complete(ctx, q, id, "robot", holder, store.Outcome{Action: workqueue.ActionDone})
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(func(g Gomega) {
		g.Expect(getWorkQueue(g, wq).Status.Items.Done).To(BeEquivalentTo(1))
	}, timeout, interval).Should(Succeed())

	advanceClock(t, 25*time.Hour)
	g.Eventually(func(g Gomega) {
		_, err := items.Get(ctx, ns, id)
		g.Expect(err).To(MatchError(store.ErrNotFound))
		g.Expect(getWorkQueue(g, wq).Status.Items.Done).To(BeZero())
	}, timeout, interval).Should(Succeed())
	again, err := items.Add(ctx, q, "anne@aalborg.dk", []store.NewItem{{Reference: "cert-0", Payload: json.RawMessage(`{}`)}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again[0].Existing).To(BeTrue(), "the reference of a deleted item is still known")
}

// dbDownNamespace holds the queue of the test whose database goes down;
// the suite's rpa-server leaves it to that test's own server.
const dbDownNamespace = "rpa-test-database-down"

// workQueuesIn watches WorkQueues and RobotRuns in one namespace only
// (equal) or in every namespace but that one.
func workQueuesIn(namespace string, equal bool) cache.Options {
	selector := fields.OneTermNotEqualSelector("metadata.namespace", namespace)
	if equal {
		selector = fields.OneTermEqualSelector("metadata.namespace", namespace)
	}
	opts := holds.CacheOptions()
	opts.ByObject[&rpav1alpha1.WorkQueue{}] = cache.ByObject{Field: selector}
	opts.ByObject[&rpav1alpha1.RobotRun{}] = cache.ByObject{Field: selector}
	return opts
}

// TestAWorkQueueWhoseDatabaseIsDownIsNotReady runs a second rpa-server
// against a PostgreSQL of its own, then stops that PostgreSQL: the queue
// turns Ready False with reason DatabaseUnavailable, and Stalled, until
// the database is back.
func TestAWorkQueueWhoseDatabaseIsDownIsNotReady(t *testing.T) {
	g := NewWithT(t)
	ctx, cancel := context.WithCancel(context.Background())
	pgURL, stopPostgres, err := pgtest.Start()
	g.Expect(err).NotTo(HaveOccurred())
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			stopPostgres()
		}
	})
	own, err := store.Open(ctx, pgURL, store.Options{Clock: testClock, ReferenceKey: referenceKy})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(own.Close)
	startSecondServer(t, ctx, cancel, func(mgr ctrl.Manager, _ *rest.Config) error {
		return (&queuestatus.Reconciler{Client: mgr.GetClient(), Items: own, Clock: testClock, Interval: serverCountInterval}).
			SetupWithManager(mgr)
	})

	_ = k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: dbDownNamespace}})
	wq := createWorkQueue(t, dbDownNamespace, "mail", nil)
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), wq) })
	readyOfQueue := func(g Gomega) *metav1.Condition {
		c := meta.FindStatusCondition(getWorkQueue(g, wq).Status.Conditions, rpav1alpha1.ConditionReady)
		g.Expect(c).NotTo(BeNil())
		return c
	}
	g.Eventually(func(g Gomega) {
		g.Expect(readyOfQueue(g).Status).To(Equal(metav1.ConditionTrue))
	}, timeout, interval).Should(Succeed())

	stopPostgres()
	stopped = true
	g.Eventually(func(g Gomega) {
		ready := readyOfQueue(g)
		g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(ready.Reason).To(Equal(rpav1alpha1.ReasonDatabaseUnavailable))
		g.Expect(ready.Message).NotTo(ContainSubstring("postgres://"), "no connection string in status")
		stalled := meta.FindStatusCondition(getWorkQueue(g, wq).Status.Conditions, rpav1alpha1.ConditionStalled)
		g.Expect(stalled).NotTo(BeNil())
		g.Expect(stalled.Status).To(Equal(metav1.ConditionTrue))
	}, timeout, interval).Should(Succeed())
}

// startSecondServer runs an rpa-server of the test's own, as rpa-server's
// ServiceAccount, watching only dbDownNamespace, with what setup adds; it
// stops, by cancel, before the test's earlier cleanups run.
func startSecondServer(t *testing.T, ctx context.Context, cancel context.CancelFunc, setup func(ctrl.Manager, *rest.Config) error) {
	t.Helper()
	g := NewWithT(t)
	cfg, err := serviceAccountBoundTo(ctx, managerNamespace, serverServiceAccount, "server/rbac/role.yaml", "")
	g.Expect(err).NotTo(HaveOccurred())
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
		Cache: workQueuesIn(dbDownNamespace, true), Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(setup(mgr, cfg)).To(Succeed())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("rpa-server: %v", err)
		}
	})
}

// triggeredRuns lists the unfinished runs the queue's trigger started.
func triggeredRuns(g Gomega, wq *rpav1alpha1.WorkQueue) []rpav1alpha1.RobotRun {
	var list rpav1alpha1.RobotRunList
	g.Expect(k8sClient.List(context.Background(), &list, client.InNamespace(wq.Namespace),
		client.MatchingLabels{rpav1alpha1.LabelQueue: wq.Name})).To(Succeed())
	var runs []rpav1alpha1.RobotRun
	for _, run := range list.Items {
		if run.Spec.Trigger.Type == rpav1alpha1.TriggerQueue && run.Spec.Trigger.Queue == wq.Name && !run.Status.Phase.Finished() {
			runs = append(runs, run)
		}
	}
	return runs
}

// TestAQueueTriggerStartsRunsAsItemsWait: with 25 items waiting and 10 per
// run, the trigger starts 3 runs (its maxConcurrentRuns), owned by the
// robot, no more however often it looks, and another once one finishes
// while items still wait; a suspended queue starts none.
func TestAQueueTriggerStartsRunsAsItemsWait(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "per", func(r *rpav1alpha1.Robot) { r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow })
	wq := createWorkQueue(t, ns, "mail", func(q *rpav1alpha1.WorkQueue) {
		q.Spec.Trigger = &rpav1alpha1.WorkQueueTrigger{RobotName: robot.Name, MinItems: 1, MaxConcurrentRuns: 3, ItemsPerRun: 10}
	})
	g.Consistently(func(g Gomega) {
		g.Expect(triggeredRuns(g, wq)).To(BeEmpty(), "no items, no runs")
	}, "1s", interval).Should(Succeed())

	addItems(g, wq, 25)
	g.Eventually(func(g Gomega) {
		g.Expect(triggeredRuns(g, wq)).To(HaveLen(3))
	}, timeout, interval).Should(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(triggeredRuns(g, wq)).To(HaveLen(3), "never more than maxConcurrentRuns")
	}, "2s", interval).Should(Succeed())
	runs := triggeredRuns(g, wq)
	for _, run := range runs {
		g.Expect(metav1.IsControlledBy(&run, robot)).To(BeTrue(), "run %s is owned by its robot", run.Name)
		g.Expect(run.Labels[rpav1alpha1.LabelQueue]).To(Equal(wq.Name))
	}
	g.Eventually(func(g Gomega) {
		st := getWorkQueue(g, wq).Status
		g.Expect(st.TriggeredRuns).To(BeEquivalentTo(3))
		triggering := meta.FindStatusCondition(st.Conditions, rpav1alpha1.ConditionTriggering)
		g.Expect(triggering).NotTo(BeNil())
		g.Expect(triggering.Status).To(Equal(metav1.ConditionTrue))
		g.Expect(meta.FindStatusCondition(st.Conditions, rpav1alpha1.ConditionReady)).NotTo(BeNil(), "rpa-server's condition kept")
	}, timeout, interval).Should(Succeed())

	// One run ends; 25 items still wait: the trigger starts another.
	first := &runs[0]
	succeedJob(g, waitForJob(g, first))
	waitForOutcome(g, first, rpav1alpha1.PhaseSucceeded, rpav1alpha1.ReasonCompleted)
	g.Eventually(func(g Gomega) {
		g.Expect(triggeredRuns(g, wq)).To(HaveLen(3))
		g.Expect(triggeredRuns(g, wq)).NotTo(ContainElement(HaveField("Name", first.Name)))
	}, timeout, interval).Should(Succeed())

	// Suspended, the queue starts no run when another ends.
	g.Eventually(func() error {
		current := getWorkQueue(g, wq)
		current.Spec.Suspend = true
		return k8sClient.Update(context.Background(), current)
	}, timeout, interval).Should(Succeed())
	g.Eventually(func(g Gomega) {
		triggering := meta.FindStatusCondition(getWorkQueue(g, wq).Status.Conditions, rpav1alpha1.ConditionTriggering)
		g.Expect(triggering.Reason).To(Equal(rpav1alpha1.ReasonQueueSuspended))
	}, timeout, interval).Should(Succeed())
	second := triggeredRuns(g, wq)[0]
	succeedJob(g, waitForJob(g, &second))
	waitForOutcome(g, &second, rpav1alpha1.PhaseSucceeded, rpav1alpha1.ReasonCompleted)
	g.Consistently(func(g Gomega) {
		g.Expect(triggeredRuns(g, wq)).To(HaveLen(2))
	}, "1s", interval).Should(Succeed())
}

// TestAQueueTriggerNamingAMissingRobotSaysSo: the Triggering condition is
// False with reason RobotNotFound and a Warning Event, and runs start once
// the robot exists.
func TestAQueueTriggerNamingAMissingRobotSaysSo(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	wq := createWorkQueue(t, ns, "letters", func(q *rpav1alpha1.WorkQueue) {
		q.Spec.Trigger = &rpav1alpha1.WorkQueueTrigger{RobotName: "olli"}
	})
	addItems(g, wq, 2)
	g.Eventually(func(g Gomega) {
		triggering := meta.FindStatusCondition(getWorkQueue(g, wq).Status.Conditions, rpav1alpha1.ConditionTriggering)
		g.Expect(triggering).NotTo(BeNil())
		g.Expect(triggering.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(triggering.Reason).To(Equal(rpav1alpha1.ReasonRobotNotFound))
		g.Expect(eventReasons(g, ns, wq.Name)).To(ContainElement(rpav1alpha1.ReasonRobotNotFound))
	}, timeout, interval).Should(Succeed())

	createRobot(t, ns, "olli", nil)
	g.Eventually(func(g Gomega) {
		g.Expect(triggeredRuns(g, wq)).To(HaveLen(1), "Forbid: one run at a time")
	}, timeout, interval).Should(Succeed())
}

// TestTheItemOfAStoppedPodGoesBackAtOnce: a robot pod that holds an item
// and stops (OOM-killed, node lost) gives the item back the moment it has
// stopped, not after a timeout; the next run sees attempt 2. A pod still
// running keeps its item, and a holder whose pod is gone altogether (it
// went while rpa-server was down) is found by the sweep.
func TestTheItemOfAStoppedPodGoesBackAtOnce(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	wq := createWorkQueue(t, ns, "mail", nil)
	q := queuestatus.Queue(getWorkQueue(g, wq))
	ids := addItems(g, wq, 2)

	pod := runPodOf(g, ns, "per", "per-run-1")
	holder := store.Holder{Run: "per-run-1", Pod: pod.Name, PodUID: string(pod.UID)}
	taken, err := items.Take(ctx, q, "robot", holder)
	g.Expect(err).NotTo(HaveOccurred())
	g.Consistently(func(g Gomega) {
		it, err := items.Get(ctx, ns, taken.ID)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(it.State).To(Equal(workqueue.InProgress), "a running pod keeps its item")
	}, "1500ms", interval).Should(Succeed())

	updatePodStatus(g, pod, func(s *corev1.PodStatus) { s.Phase = corev1.PodFailed })
	g.Eventually(func(g Gomega) {
		it, err := items.Get(ctx, ns, taken.ID)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(it.State).To(Equal(workqueue.New))
		g.Expect(it.Holder).To(BeNil())
		g.Expect(it.Reason).To(ContainSubstring("per-run-1-pod of run per-run-1 stopped"))
	}, timeout, interval).Should(Succeed())
	next := runPodOf(g, ns, "per", "per-run-2")
	again, err := items.Take(ctx, q, "robot", store.Holder{Run: "per-run-2", Pod: next.Name, PodUID: string(next.UID)})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again.ID).To(Equal(taken.ID))
	g.Expect(again.Attempts).To(Equal(2), "the robot sees a retry")

	// A pod rpa-server never saw: the sweep finds its item.
	other := ids[1]
	if other == taken.ID {
		other = ids[0]
	}
	gone, err := items.Take(ctx, q, "robot", store.Holder{Run: "per-run-3", Pod: "per-run-3-pod", PodUID: "uid-never-existed"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(gone.ID).To(Equal(other))
	g.Eventually(func(g Gomega) {
		it, err := items.Get(ctx, ns, other)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(it.State).To(Equal(workqueue.New))
	}, timeout, interval).Should(Succeed())
}
