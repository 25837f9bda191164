package integration

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"

	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
	"github.com/rpa-operator/rpa-operator/controllers/robotrun"
	"github.com/rpa-operator/rpa-operator/controllers/runstatus"
	"github.com/rpa-operator/rpa-operator/controllers/slots"
)

// createTargetSystem creates a cluster-scoped TargetSystem named after the
// test's namespace, so that tests do not share it, and deletes it after.
func createTargetSystem(t *testing.T, ns string, maxRuns int32) *rpav1alpha1.TargetSystem {
	t.Helper()
	ts := &rpav1alpha1.TargetSystem{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-esdh"},
		Spec:       rpav1alpha1.TargetSystemSpec{Description: "Aalborg's ESDH", MaxConcurrentRuns: maxRuns},
	}
	NewWithT(t).Expect(k8sClient.Create(context.Background(), ts)).To(Succeed())
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), ts) })
	return ts
}

func setMaxConcurrentRuns(g Gomega, ts *rpav1alpha1.TargetSystem, n int32) {
	g.Eventually(func() error {
		if err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(ts), ts); err != nil {
			return err
		}
		ts.Spec.MaxConcurrentRuns = n
		return k8sClient.Update(context.Background(), ts)
	}, timeout, interval).Should(Succeed())
}

// unfinishedJobs lists the namespace's Jobs that have not completed, by
// run name.
func unfinishedJobs(g Gomega, ns string) []string {
	var list batchv1.JobList
	g.Expect(k8sClient.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
	var names []string
	for i := range list.Items {
		if !runstatus.JobFinished(&list.Items[i]) {
			names = append(names, list.Items[i].Annotations[rpav1alpha1.AnnotationRunName])
		}
	}
	slices.Sort(names)
	return names
}

func systemStatus(g Gomega, ts *rpav1alpha1.TargetSystem) rpav1alpha1.TargetSystemStatus {
	got := &rpav1alpha1.TargetSystem{}
	g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(ts), got)).To(Succeed())
	return got.Status
}

// TestTargetSystemAdmitsAtMostItsLimitInPriorityOrder runs 20 runs of 6
// robots that share a TargetSystem with maxConcurrentRuns 2, finishing one
// Job at a time, with a second manager joining half-way (a restart or a
// leader change, with fresh caches, while the first still runs): never more
// than 2 Jobs at once, every run finishes, and they start in order of
// priority, then age.
func TestTargetSystemAdmitsAtMostItsLimitInPriorityOrder(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	// Closed while the runs are created, so that all of them wait and the
	// order they start in is the queue's alone.
	ts := createTargetSystem(t, ns, 0)
	priorities := []int32{0, 0, 5, 0, -1, 10}
	for i, p := range priorities {
		createRobot(t, ns, fmt.Sprintf("robot-%d", i), func(r *rpav1alpha1.Robot) {
			r.Spec.Systems = []string{ts.Name}
			r.Spec.Priority = p
			r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
		})
	}
	claimants := make([]slots.Claimant, 0, 20)
	runs := map[string]*rpav1alpha1.RobotRun{}
	for i := range 20 {
		robot := i % len(priorities)
		name := fmt.Sprintf("run-%02d", i)
		run := &rpav1alpha1.RobotRun{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec:       rpav1alpha1.RobotRunSpec{RobotName: fmt.Sprintf("robot-%d", robot)},
		}
		priority := priorities[robot]
		if i == 13 {
			run.Spec.Priority = ptr.To[int32](20) // a run marked urgent by hand
			priority = 20
		}
		g.Expect(k8sClient.Create(context.Background(), run)).To(Succeed())
		runs[name] = run
		claimants = append(claimants, slots.Claimant{Namespace: ns, Name: name, UID: string(run.UID), Priority: priority, Created: run.CreationTimestamp.Time})
	}
	g.Eventually(func(g Gomega) {
		g.Expect(systemStatus(g, ts).Waiting).To(BeEquivalentTo(20))
	}, timeout, interval).Should(Succeed())
	run := getRun(g, runs["run-05"])
	g.Expect(run.Status.Phase).To(Equal(rpav1alpha1.PhaseQueued))
	g.Expect(reason(run)).To(Equal(rpav1alpha1.ReasonWaitingForSystem))
	g.Expect(run.Status.WaitingFor).To(Equal([]string{"TargetSystem/" + ts.Name}))
	g.Expect(run.Status.Priority).To(BeEquivalentTo(10))

	sort.SliceStable(claimants, func(i, j int) bool { return slots.Before(claimants[i], claimants[j]) })
	want := make([]string, 0, len(claimants))
	for _, c := range claimants {
		want = append(want, c.Name)
	}

	setMaxConcurrentRuns(g, ts, 2)
	var started []string
	for finished := 0; finished < 20; finished++ {
		var active []string
		g.Eventually(func(g Gomega) {
			active = unfinishedJobs(g, ns)
			g.Expect(active).To(HaveLen(min(2, 20-finished)), "Jobs running")
		}, timeout, interval).Should(Succeed())
		g.Consistently(func(g Gomega) {
			g.Expect(len(unfinishedJobs(g, ns))).To(BeNumerically("<=", 2))
			g.Expect(len(systemStatus(g, ts).Holders)).To(BeNumerically("<=", 2))
		}, "300ms", "50ms").Should(Succeed())
		for _, name := range active {
			if !slices.Contains(started, name) {
				started = append(started, name)
			}
		}
		// Finish the one that started first.
		var first string
		for _, name := range started {
			if slices.Contains(active, name) {
				first = name
				break
			}
		}
		succeedJob(g, waitForJob(g, runs[first]))
		waitForOutcome(g, runs[first], rpav1alpha1.PhaseSucceeded, rpav1alpha1.ReasonCompleted)
		if finished == 9 {
			startSecondManager(t)
		}
	}
	// The first two start together, in either order; then one at a time.
	g.Expect(started[:2]).To(ConsistOf(want[:2]), "the first two")
	g.Expect(started[2:]).To(Equal(want[2:]), "start order: priority, then age")
	g.Eventually(func(g Gomega) {
		st := systemStatus(g, ts)
		g.Expect(st.Holders).To(BeEmpty())
		g.Expect(st.Active).To(BeZero())
		g.Expect(st.Waiting).To(BeZero())
	}, timeout, interval).Should(Succeed())
}

// TestExclusiveCredentialIsUsedByOneRunAtATime shares one exclusive robot
// account between two robots: the second robot's run waits until the first
// has finished.
func TestExclusiveCredentialIsUsedByOneRunAtATime(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	createSecret(t, ns, "sbsys-robot", map[string]string{"username": "robot", "password": "x"})
	exclusive := func(r *rpav1alpha1.Robot) {
		r.Spec.Credentials = []rpav1alpha1.Credential{{Name: "sbsys", SecretName: "sbsys-robot", Exclusive: true}}
	}
	first := createRobot(t, ns, "journal", exclusive)
	second := createRobot(t, ns, "archive", exclusive)

	a := createRun(t, ns, "journal-1", first.Name, nil)
	jobA := waitForJob(g, a)
	b := createRun(t, ns, "archive-1", second.Name, nil)
	got := waitForOutcome(g, b, rpav1alpha1.PhaseQueued, rpav1alpha1.ReasonWaitingForCredential)
	g.Expect(got.Status.WaitingFor).To(Equal([]string{"Credential/sbsys-robot"}))
	g.Expect(got.Status.Message).To(ContainSubstring("in use by run journal-1"))
	g.Consistently(func(g Gomega) { g.Expect(jobsIn(g, ns)).To(HaveLen(1)) }, "1s", interval).Should(Succeed())

	succeedJob(g, jobA)
	waitForJob(g, b)
	// The reconcile that creates a Job leaves the run's status to the
	// Job's watch event (Jobs first), so wait for the status that names it.
	got = waitForOutcome(g, b, rpav1alpha1.PhasePending, rpav1alpha1.ReasonJobCreated)
	g.Expect(got.Status.WaitingFor).To(BeEmpty())
}

// TestDeletedAndCancelledRunsFreeTheirSlots: a queued run deleted stops
// waiting; a running run cancelled, and a running run deleted, give back
// their slots, so the next run starts.
func TestDeletedAndCancelledRunsFreeTheirSlots(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	ts := createTargetSystem(t, ns, 1)
	robot := createRobot(t, ns, "journal", func(r *rpav1alpha1.Robot) {
		r.Spec.Systems = []string{ts.Name}
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
	})
	running := createRun(t, ns, "run-1", robot.Name, nil)
	waitForJob(g, running)
	queued := createRun(t, ns, "run-2", robot.Name, nil)
	waitForOutcome(g, queued, rpav1alpha1.PhaseQueued, rpav1alpha1.ReasonWaitingForSystem)
	third := createRun(t, ns, "run-3", robot.Name, nil)
	waitForOutcome(g, third, rpav1alpha1.PhaseQueued, rpav1alpha1.ReasonWaitingForSystem)
	g.Eventually(func(g Gomega) { g.Expect(systemStatus(g, ts).Waiting).To(BeEquivalentTo(2)) }, timeout, interval).Should(Succeed())

	g.Expect(k8sClient.Delete(context.Background(), queued)).To(Succeed())
	g.Eventually(func(g Gomega) { g.Expect(systemStatus(g, ts).Waiting).To(BeEquivalentTo(1)) }, timeout, interval).Should(Succeed())

	cancel(g, running)
	waitForOutcome(g, running, rpav1alpha1.PhaseCancelled, rpav1alpha1.ReasonCancelled)
	waitForJob(g, third)
	g.Eventually(func(g Gomega) {
		st := systemStatus(g, ts)
		g.Expect(st.Holders).To(HaveLen(1))
		g.Expect(st.Holders[0].Name).To(Equal("run-3"))
	}, timeout, interval).Should(Succeed())

	// A run deleted while it holds the slot gives it back too.
	fourth := createRun(t, ns, "run-4", robot.Name, nil)
	waitForOutcome(g, fourth, rpav1alpha1.PhaseQueued, rpav1alpha1.ReasonWaitingForSystem)
	g.Expect(k8sClient.Delete(context.Background(), third)).To(Succeed())
	waitForJob(g, fourth)
}

// TestMissingTargetSystemIsARobotConditionAndLoweringALimitKillsNothing.
func TestMissingTargetSystemIsARobotConditionAndLoweringALimitKillsNothing(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "journal", func(r *rpav1alpha1.Robot) {
		r.Spec.Systems = []string{ns + "-esdh"}
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
	})
	g.Eventually(func(g Gomega) {
		ready := readyOf(g, robot)
		g.Expect(ready.Reason).To(Equal(rpav1alpha1.ReasonTargetSystemNotFound))
		g.Expect(ready.Message).To(ContainSubstring(ns + "-esdh"))
	}, timeout, interval).Should(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(eventReasons(g, ns, robot.Name)).To(ContainElement(rpav1alpha1.ReasonTargetSystemNotFound))
	}, timeout, interval).Should(Succeed())
	first := createRun(t, ns, "run-1", robot.Name, nil)
	waitForOutcome(g, first, rpav1alpha1.PhasePending, rpav1alpha1.ReasonTargetSystemNotFound)

	ts := createTargetSystem(t, ns, 2)
	jobA := waitForJob(g, first)
	second := createRun(t, ns, "run-2", robot.Name, nil)
	waitForJob(g, second)
	g.Eventually(func(g Gomega) {
		g.Expect(readyOf(g, robot).Status).To(Equal(metav1.ConditionTrue))
	}, timeout, interval).Should(Succeed())

	setMaxConcurrentRuns(g, ts, 1)
	third := createRun(t, ns, "run-3", robot.Name, nil)
	waitForOutcome(g, third, rpav1alpha1.PhaseQueued, rpav1alpha1.ReasonWaitingForSystem)
	g.Expect(unfinishedJobs(g, ns)).To(Equal([]string{"run-1", "run-2"}), "running robots are not stopped")

	succeedJob(g, jobA)
	g.Consistently(func(g Gomega) {
		g.Expect(getRun(g, third).Status.Phase).To(Equal(rpav1alpha1.PhaseQueued), "one slot, still held by run-2")
	}, "1s", interval).Should(Succeed())
	succeedJob(g, waitForJob(g, second))
	waitForJob(g, third)
}

func reason(run *rpav1alpha1.RobotRun) string { return robotrun.SucceededReason(&run.Status) }

// TestACancelledRunKeepsItsExclusiveCredentialUntilItsPodHasStopped: a
// cancelled run's pod finishes its item in its grace period, still logged
// in with the robot account; the next run may not log in with it until the
// pod has stopped, or the account would hold two sessions.
func TestACancelledRunKeepsItsExclusiveCredentialUntilItsPodHasStopped(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	createSecret(t, ns, "sbsys-robot", map[string]string{"username": "robot", "password": "x"})
	exclusive := func(r *rpav1alpha1.Robot) {
		r.Spec.Credentials = []rpav1alpha1.Credential{{Name: "sbsys", SecretName: "sbsys-robot", Exclusive: true}}
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
	}
	robot := createRobot(t, ns, "journal", exclusive)
	first := createRun(t, ns, "journal-1", robot.Name, nil)
	job := waitForJob(g, first)
	startJob(g, job)
	pod := createPod(g, job, "a1")
	runPod(g, pod)
	second := createRun(t, ns, "journal-2", robot.Name, nil)
	waitForOutcome(g, second, rpav1alpha1.PhaseQueued, rpav1alpha1.ReasonWaitingForCredential)

	cancel(g, first)
	waitForOutcome(g, first, rpav1alpha1.PhaseCancelled, rpav1alpha1.ReasonCancelled)
	g.Consistently(func(g Gomega) {
		g.Expect(getRun(g, second).Status.Phase).To(Equal(rpav1alpha1.PhaseQueued), "the first run's pod still runs")
		g.Expect(jobsIn(g, ns)).NotTo(ContainElement(jobs.JobName(second.Name)))
	}, "2s", interval).Should(Succeed())

	// The pod stops (SIGTERM handled): now the second run logs in.
	endPod(g, pod, 143, "")
	waitForJob(g, second)
}

// labelNamespace sets a label on a namespace, as a platform team onboards
// a department.
func labelNamespace(g Gomega, ns, key, value string) {
	patch := fmt.Sprintf(`{"metadata":{"labels":{%q:%q}}}`, key, value)
	g.Expect(k8sClient.Patch(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		client.RawPatch(types.MergePatchType, []byte(patch)))).To(Succeed())
}

// TestTargetSystemServesOnlyTheNamespacesItSelects: a namespace the
// selector leaves out gets no slot, however free the system is, and its
// Robot says why; labelling the namespace lets its waiting run start.
func TestTargetSystemServesOnlyTheNamespacesItSelects(t *testing.T) {
	g := NewWithT(t)
	allowed, outsider := newNamespace(t), newNamespace(t)
	access := "test.rpa.dev/esdh-" + allowed
	labelNamespace(g, allowed, access, "yes")
	ts := createTargetSystem(t, allowed, 5)
	g.Eventually(func() error {
		if err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(ts), ts); err != nil {
			return err
		}
		ts.Spec.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{access: "yes"}}
		return k8sClient.Update(context.Background(), ts)
	}, timeout, interval).Should(Succeed())
	usesSystem := func(r *rpav1alpha1.Robot) { r.Spec.Systems = []string{ts.Name} }

	inside := createRun(t, allowed, "journal", createRobot(t, allowed, "journal", usesSystem).Name, nil)
	waitForJob(g, inside)

	robot := createRobot(t, outsider, "journal", usesSystem)
	run := createRun(t, outsider, "journal", robot.Name, nil)
	got := waitForOutcome(g, run, rpav1alpha1.PhasePending, rpav1alpha1.ReasonTargetSystemNotAllowed)
	g.Expect(got.Status.Message).To(ContainSubstring("does not let robots of namespace " + outsider + " use it"))
	g.Expect(got.Status.WaitingFor).To(Equal([]string{"TargetSystem/" + ts.Name}))
	expectNoJob(g, run)
	g.Eventually(func(g Gomega) {
		ready := readyOf(g, robot)
		g.Expect(ready.Reason).To(Equal(rpav1alpha1.ReasonTargetSystemNotAllowed))
		g.Expect(ready.Message).To(ContainSubstring(ts.Name))
	}, timeout, interval).Should(Succeed())

	labelNamespace(g, outsider, access, "yes")
	waitForJob(g, run)
	g.Eventually(func(g Gomega) {
		g.Expect(readyOf(g, robot).Status).To(Equal(metav1.ConditionTrue))
	}, timeout, interval).Should(Succeed())
}

// TestOneNamespaceCannotTakeEverySlot: with a share of 2 slots per
// namespace, a department's third run waits while another department's
// later run takes the free slot.
func TestOneNamespaceCannotTakeEverySlot(t *testing.T) {
	g := NewWithT(t)
	busy, other := newNamespace(t), newNamespace(t)
	ts := createTargetSystem(t, busy, 3)
	g.Eventually(func() error {
		if err := k8sClient.Get(context.Background(), client.ObjectKeyFromObject(ts), ts); err != nil {
			return err
		}
		ts.Spec.MaxConcurrentRunsPerNamespace = ptr.To[int32](2)
		return k8sClient.Update(context.Background(), ts)
	}, timeout, interval).Should(Succeed())
	batch := func(r *rpav1alpha1.Robot) {
		r.Spec.Systems = []string{ts.Name}
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
	}
	letters := createRobot(t, busy, "letters", batch)
	runs := make([]*rpav1alpha1.RobotRun, 0, 3)
	for i := range 3 {
		runs = append(runs, createRun(t, busy, fmt.Sprintf("batch-%d", i), letters.Name, nil))
	}
	g.Eventually(func(g Gomega) {
		g.Expect(unfinishedJobs(g, busy)).To(HaveLen(2))
	}, timeout, interval).Should(Succeed())
	var third *rpav1alpha1.RobotRun
	g.Eventually(func(g Gomega) {
		for _, run := range runs {
			if got := getRun(g, run); got.Status.Phase == rpav1alpha1.PhaseQueued {
				third = got
			}
		}
		g.Expect(third).NotTo(BeNil())
	}, timeout, interval).Should(Succeed())
	g.Expect(third.Status.Message).To(ContainSubstring("lets one namespace have 2 runs at once, and this namespace has 2"))

	later := createRun(t, other, "journal", createRobot(t, other, "journal", batch).Name, nil)
	waitForJob(g, later)
	g.Consistently(func(g Gomega) {
		g.Expect(unfinishedJobs(g, busy)).To(HaveLen(2))
		g.Expect(systemStatus(g, ts).Active).To(BeEquivalentTo(3))
	}, "1s", interval).Should(Succeed())

	// A slot of the busy namespace frees up: its third run takes it.
	first := unfinishedJobs(g, busy)[0]
	for _, run := range runs {
		if run.Name == first {
			succeedJob(g, waitForJob(g, run))
		}
	}
	waitForJob(g, third)
}
