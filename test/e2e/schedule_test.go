//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// scheduledRuns lists the robot's runs that a schedule created.
func scheduledRuns(g Gomega, ns, robot string) []rpav1alpha1.RobotRun {
	var list rpav1alpha1.RobotRunList
	g.Expect(k8sClient.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
	var runs []rpav1alpha1.RobotRun
	for _, r := range list.Items {
		if r.Spec.RobotName == robot && r.Spec.Trigger.Type == rpav1alpha1.TriggerSchedule {
			runs = append(runs, r)
		}
	}
	return runs
}

// expectOneRunPerScheduledTime fails when two runs share a scheduled time.
func expectOneRunPerScheduledTime(g Gomega, runs []rpav1alpha1.RobotRun) {
	seen := map[time.Time]string{}
	for _, r := range runs {
		at := r.Spec.Trigger.ScheduledTime.UTC()
		g.Expect(seen).NotTo(HaveKey(at), "runs %s and %s are both for %s", seen[at], r.Name, at)
		g.Expect(at.Second()).To(BeZero(), "scheduled times are whole minutes")
		seen[at] = r.Name
	}
}

func TestPerMinuteScheduleRunsOncePerMinute(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	robot := testRobot(t, ns, "system-monitor", func(r *rpav1alpha1.Robot) {
		r.Spec.Schedules = []rpav1alpha1.Schedule{{Name: "every-minute", Cron: "* * * * *", TimeZone: "Europe/Copenhagen"}}
	})
	g := NewWithT(t)
	g.Eventually(func(g Gomega) {
		runs := scheduledRuns(g, ns, robot.Name)
		expectOneRunPerScheduledTime(g, runs)
		var succeeded int
		for _, r := range runs {
			if r.Status.Phase == rpav1alpha1.PhaseSucceeded {
				g.Expect(r.Status.Result).NotTo(BeNil(), "run %s reported its result", r.Name)
				succeeded++
			}
		}
		g.Expect(succeeded).To(BeNumerically(">=", 2))
	}, 4*time.Minute, 2*time.Second).Should(Succeed())
}

// TestOperatorRestartMidRunReportsOnceAndSchedulesOnce deletes the operator's
// pod while a scheduled run is running: the run still completes and is
// reported exactly once, and no scheduled time runs twice. It runs alone
// (not in parallel), since it disturbs the operator every other test uses.
func TestOperatorRestartMidRunReportsOnceAndSchedulesOnce(t *testing.T) {
	ns := newNamespace(t)
	robot := testRobot(t, ns, "journal", func(r *rpav1alpha1.Robot) {
		r.Spec.Schedules = []rpav1alpha1.Schedule{{
			Name: "every-minute", Cron: "* * * * *", TimeZone: "UTC",
			Arguments: map[string]string{"mode": "sleep", "sleep": "25s"},
		}}
	})
	g := NewWithT(t)
	var first rpav1alpha1.RobotRun
	g.Eventually(func(g Gomega) {
		runs := scheduledRuns(g, ns, robot.Name)
		g.Expect(runs).NotTo(BeEmpty())
		first = runs[0]
		g.Expect(first.Status.Phase).To(Equal(rpav1alpha1.PhaseRunning))
	}, 3*time.Minute, time.Second).Should(Succeed())

	deleteOperatorPods(t)

	done := waitForPhase(t, &first, rpav1alpha1.PhaseSucceeded, 3*time.Minute)
	g.Expect(done.Status.Result).NotTo(BeNil())
	// Wait for the schedule's next time to have passed under the new operator.
	g.Eventually(func(g Gomega) {
		g.Expect(len(scheduledRuns(g, ns, robot.Name))).To(BeNumerically(">=", 2))
	}, 3*time.Minute, 2*time.Second).Should(Succeed())
	expectOneRunPerScheduledTime(g, scheduledRuns(g, ns, robot.Name))

	var completed int32
	for _, e := range events(g, ns) {
		// The Job, named like the run, gets a Completed Event of its own.
		if e.Regarding.Kind == "RobotRun" && e.Regarding.Name == first.Name && e.Reason == rpav1alpha1.ReasonCompleted {
			completed++
			if e.Series != nil {
				completed += e.Series.Count - 1
			}
		}
	}
	g.Expect(completed).To(Equal(int32(1)), "the outcome is reported once")
}

// deleteOperatorPods deletes the manager's pods and waits for a new one to
// be ready.
func deleteOperatorPods(t *testing.T) {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	var pods corev1.PodList
	g.Expect(k8sClient.List(ctx, &pods, client.InNamespace(operatorNamespace))).To(Succeed())
	g.Expect(pods.Items).NotTo(BeEmpty())
	old := map[string]bool{}
	for i := range pods.Items {
		old[pods.Items[i].Name] = true
		g.Expect(k8sClient.Delete(ctx, &pods.Items[i])).To(Succeed())
	}
	g.Eventually(func(g Gomega) {
		var now corev1.PodList
		g.Expect(k8sClient.List(ctx, &now, client.InNamespace(operatorNamespace))).To(Succeed())
		var ready bool
		for _, p := range now.Items {
			if old[p.Name] {
				continue
			}
			for _, c := range p.Status.Conditions {
				ready = ready || (c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue)
			}
		}
		g.Expect(ready).To(BeTrue(), "a new operator pod is ready")
	}, 2*time.Minute, time.Second).Should(Succeed())
}
