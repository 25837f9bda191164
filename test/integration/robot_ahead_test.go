package integration

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/scheduledrun"
)

// The suite's manager runs with DefaultScheduleLead (30 s), as the manager
// ships. These tests put the clock 20 s before a scheduled time, inside the
// lead, so that the time's run is created ahead of it.
const inLead = 20 * time.Second

// scheduledRunAt is the run a robot's schedule "sort" has for a time.
func scheduledRunAt(ns, robot string, at time.Time) *rpav1alpha1.RobotRun {
	return &rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: scheduledrun.Name(robot, "sort", at)}}
}

// expectCreatedAheadUntouched waits for the run of a time to be created
// ahead of it and checks that nothing acts on it before its time: no Job,
// no status, and the robot counts it nowhere.
func expectCreatedAheadUntouched(g Gomega, robot *rpav1alpha1.Robot, run *rpav1alpha1.RobotRun) {
	g.Eventually(func(g Gomega) {
		got := getRun(g, run)
		g.Expect(got.Annotations).To(HaveKeyWithValue(rpav1alpha1.AnnotationCreatedAhead, "true"))
	}, timeout, interval).Should(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(getRun(g, run).Status).To(Equal(rpav1alpha1.RobotRunStatus{}), "the run waits for its time untouched")
		g.Expect(jobsIn(g, run.Namespace)).To(BeEmpty())
		status := getRobot(g, robot).Status
		g.Expect(status.ActiveRuns).To(BeZero())
		g.Expect(status.LastRun).To(BeNil())
		g.Expect(status.LastScheduleTime).To(BeNil())
	}, 2*time.Second, interval).Should(Succeed())
}

// robotWithRunAhead creates a per-minute robot "mail-robot" (schedule
// "sort") under the policy, with the clock inside the lead before its next
// time, and waits for that time's run to be created ahead, untouched.
func robotWithRunAhead(t *testing.T, g Gomega, policy rpav1alpha1.ConcurrencyPolicy) (
	string, *rpav1alpha1.Robot, time.Time, *rpav1alpha1.RobotRun) {
	t.Helper()
	ns := newNamespace(t)
	// The apiserver stamps the runs a test creates with the real time; the
	// scheduled time must stay ahead of it throughout the test, or a run
	// the test creates would be ordered behind the scheduled run. Close to
	// the end of a real minute, start in the next one.
	if left := time.Until(nextMinute(time.Now())); left < 10*time.Second {
		time.Sleep(left)
	}
	at := clockBefore(t, nextMinute, inLead)
	robot := createRobot(t, ns, "mail-robot", func(r *rpav1alpha1.Robot) {
		r.Spec.ConcurrencyPolicy = policy
		r.Spec.Schedules = []rpav1alpha1.Schedule{everyMinute("sort")}
	})
	run := scheduledRunAt(ns, robot.Name, at)
	expectCreatedAheadUntouched(g, robot, run)
	return ns, robot, at, run
}

func TestARunIsCreatedAheadAndItsJobAtItsTime(t *testing.T) {
	g := NewWithT(t)
	ns, robot, at, run := robotWithRunAhead(t, g, rpav1alpha1.ConcurrencyAllow)
	g.Expect(getRun(g, run).Spec.Trigger.ScheduledTime.Time).To(BeTemporally("==", at))

	// The time comes; a touch of the robot wakes both controllers at once
	// instead of after their real-time requeue.
	advanceClock(t, inLead)
	patchRobot(g, robot, func(r *rpav1alpha1.Robot) { r.Spec.Description = "the time has come" })
	job := waitForJob(g, run)
	g.Expect(job.Name).NotTo(BeEmpty())
	g.Eventually(func(g Gomega) {
		g.Expect(getRun(g, run).Status.Phase).To(Equal(rpav1alpha1.PhasePending))
		status := getRobot(g, robot).Status
		g.Expect(status.Schedules[0].LastScheduleTime.Time).To(BeTemporally("==", at))
		g.Expect(status.Schedules[0].LastRunName).To(Equal(run.Name))
		g.Expect(status.ActiveRuns).To(Equal(int32(1)))
	}, timeout, interval).Should(Succeed())
	g.Expect(runNames(runsOfRobot(g, ns, robot.Name))).To(Equal([]string{run.Name}), "the time made no second run")
}

func TestSuspendingBeforeItsTimeWithdrawsARunCreatedAhead(t *testing.T) {
	g := NewWithT(t)
	ns, robot, _, run := robotWithRunAhead(t, g, rpav1alpha1.ConcurrencyQueue)

	patchRobot(g, robot, func(r *rpav1alpha1.Robot) { r.Spec.Suspend = true })
	g.Eventually(func(g Gomega) {
		err := k8sClient.Get(context.Background(), objectKey(run), &rpav1alpha1.RobotRun{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "withdrawn, got %v", err)
		g.Expect(eventReasons(g, ns, robot.Name)).To(ContainElement(rpav1alpha1.ReasonWithdrawnRun))
	}, timeout, interval).Should(Succeed())

	// Resumed before the time: the time is the schedule's again.
	patchRobot(g, robot, func(r *rpav1alpha1.Robot) { r.Spec.Suspend = false })
	g.Eventually(func(g Gomega) {
		g.Expect(getRun(g, run).Annotations).To(HaveKey(rpav1alpha1.AnnotationCreatedAhead))
	}, timeout, interval).Should(Succeed())
	advanceClock(t, inLead)
	patchRobot(g, robot, func(r *rpav1alpha1.Robot) { r.Spec.Description = "the time has come" })
	waitForJob(g, run)
}

func TestEditingTheScheduleBeforeItsTimeWithdrawsARunCreatedAhead(t *testing.T) {
	g := NewWithT(t)
	ns, robot, _, _ := robotWithRunAhead(t, g, rpav1alpha1.ConcurrencyAllow)

	patchRobot(g, robot, func(r *rpav1alpha1.Robot) { r.Spec.Schedules[0].Cron = "0 0 1 1 *" })
	g.Eventually(func(g Gomega) {
		g.Expect(runsOfRobot(g, ns, robot.Name)).To(BeEmpty())
	}, timeout, interval).Should(Succeed())
	advanceClock(t, inLead)
	patchRobot(g, robot, func(r *rpav1alpha1.Robot) { r.Spec.Description = "the old time has come" })
	g.Consistently(func(g Gomega) {
		g.Expect(runsOfRobot(g, ns, robot.Name)).To(BeEmpty(), "the edited schedule does not have the old time")
		g.Expect(jobsIn(g, ns)).To(BeEmpty())
	}, 2*time.Second, interval).Should(Succeed())
}

func TestAManualRunIsNotHeldBehindARunCreatedAhead(t *testing.T) {
	g := NewWithT(t)
	ns, robot, _, scheduled := robotWithRunAhead(t, g, rpav1alpha1.ConcurrencyQueue)

	// Created after the scheduled run but before its time, the manual run
	// is first in the queue, as it would be without the lead.
	manual := createRun(t, ns, "by-hand", robot.Name, nil)
	job := waitForJob(g, manual)
	advanceClock(t, inLead)
	patchRobot(g, robot, func(r *rpav1alpha1.Robot) { r.Spec.Description = "the time has come" })
	g.Eventually(func(g Gomega) {
		got := getRun(g, scheduled)
		g.Expect(got.Status.Phase).To(Equal(rpav1alpha1.PhaseQueued))
		g.Expect(succeededCondition(got).Reason).To(Equal(rpav1alpha1.ReasonWaitingForRun))
	}, timeout, interval).Should(Succeed())
	succeedJob(g, job)
	waitForJob(g, scheduled)
}

func TestForbidRobotsGetNoRunAhead(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	clockBefore(t, nextMinute, inLead)
	robot := createRobot(t, ns, "certificate-journal", func(r *rpav1alpha1.Robot) {
		r.Spec.Schedules = []rpav1alpha1.Schedule{everyMinute("often")}
	})
	g.Eventually(func(g Gomega) {
		g.Expect(getRobot(g, robot).Status.ObservedGeneration).To(Equal(int64(1)))
	}, timeout, interval).Should(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(runsOfRobot(g, ns, robot.Name)).To(BeEmpty(), "Forbid decides at the time whether the time runs")
	}, 2*time.Second, interval).Should(Succeed())
}

func TestARunCreatedAheadStartsLateAfterAnOutageAndIsNotCountedMissed(t *testing.T) {
	g := NewWithT(t)
	ns, robot, at, early := robotWithRunAhead(t, g, rpav1alpha1.ConcurrencyAllow)

	// The operator sees nothing for 30 minutes (its clock jumps past the
	// run's time and 29 more), then recovers. The run created ahead exists
	// and starts, late, like a run created at its time; its time is not
	// missed. Of the 29 later times, the latest runs and 28 are missed.
	advanceClock(t, 30*time.Minute)
	patchRobot(g, robot, func(r *rpav1alpha1.Robot) { r.Spec.Description = "after the outage" })
	waitForJob(g, early)
	latest := scheduledRunAt(ns, robot.Name, at.Add(29*time.Minute))
	waitForJob(g, latest)
	g.Eventually(func(g Gomega) {
		g.Expect(getRobot(g, robot).Status.MissedRuns).To(Equal(int64(28)))
	}, timeout, interval).Should(Succeed())
	g.Expect(runNames(runsOfRobot(g, ns, robot.Name))).To(ConsistOf(early.Name, latest.Name,
		scheduledrun.Name(robot.Name, "sort", at.Add(30*time.Minute))), "and the next time's run, created ahead")
}
