package integration

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
	"github.com/rpa-operator/rpa-operator/controllers/scheduledrun"
)

// Schedule tests move the controllers' clock to two seconds before the
// instant they test, so that a scheduled time arrives within the test
// without waiting for the wall clock.

const scheduleTimeout = 30 * time.Second

// clockJustBefore moves the controllers' clock to two seconds before the
// next time at which next() fires after now, and returns that time. Taking
// the very next time matters: a new robot's schedules count from its
// creation (real time), so no scheduled time may lie between now and the
// moved clock.
func clockJustBefore(t *testing.T, next func(now time.Time) time.Time) time.Time {
	t.Helper()
	return clockBefore(t, next, 2*time.Second)
}

// clockBefore moves the controllers' clock to d before the next time at
// which next() fires after now (as clockJustBefore), and returns that time.
func clockBefore(t *testing.T, next func(now time.Time) time.Time, d time.Duration) time.Time {
	t.Helper()
	at := next(testClock.Now())
	advanceClock(t, at.Add(-d).Sub(testClock.Now()))
	return at
}

// expectTimeHandled waits until the robot's (first) schedule has handled
// the time: its run was created at or ahead of it, and the time has come.
func expectTimeHandled(g Gomega, robot *rpav1alpha1.Robot, at time.Time) {
	g.Eventually(func(g Gomega) {
		last := getRobot(g, robot).Status.Schedules
		g.Expect(last).NotTo(BeEmpty())
		g.Expect(last[0].LastScheduleTime).NotTo(BeNil())
		g.Expect(last[0].LastScheduleTime.Time).To(BeTemporally("==", at))
	}, scheduleTimeout, interval).Should(Succeed())
}

// nextMinute is the next whole minute after now.
func nextMinute(now time.Time) time.Time { return now.Truncate(time.Minute).Add(time.Minute) }

// everyMinute is a per-minute schedule in UTC.
func everyMinute(name string) rpav1alpha1.Schedule {
	return rpav1alpha1.Schedule{Name: name, Cron: "* * * * *", TimeZone: "UTC"}
}

// runsOfRobot lists the robot's runs, oldest first.
func runsOfRobot(g Gomega, ns, robot string) []rpav1alpha1.RobotRun {
	var list rpav1alpha1.RobotRunList
	g.Expect(k8sClient.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
	var runs []rpav1alpha1.RobotRun
	for _, r := range list.Items {
		if r.Spec.RobotName == robot {
			runs = append(runs, r)
		}
	}
	sort.Slice(runs, func(i, j int) bool { return runs[j].CreatedAfter(&runs[i]) })
	return runs
}

func runNames(runs []rpav1alpha1.RobotRun) []string {
	names := make([]string, 0, len(runs))
	for _, r := range runs {
		names = append(names, r.Name)
	}
	return names
}

func TestScheduleCreatesOneRunPerTimeNamedForIt(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	first := clockJustBefore(t, nextMinute)
	robot := createRobot(t, ns, "mail-robot", func(r *rpav1alpha1.Robot) {
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
		r.Spec.Schedules = []rpav1alpha1.Schedule{{Name: "sort", Cron: "* * * * *", TimeZone: "UTC", Arguments: map[string]string{}}}
	})

	wantName := scheduledrun.Name("mail-robot", "sort", first)
	g.Eventually(func(g Gomega) {
		g.Expect(runNames(runsOfRobot(g, ns, robot.Name))).To(Equal([]string{wantName}))
	}, scheduleTimeout, interval).Should(Succeed())
	run := getRun(g, &rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: wantName}})
	g.Expect(run.Spec.Trigger.Type).To(Equal(rpav1alpha1.TriggerSchedule))
	g.Expect(run.Spec.Trigger.Schedule).To(Equal("sort"))
	g.Expect(run.Spec.Trigger.ScheduledTime.Time).To(BeTemporally("==", first))
	g.Expect(run.Labels).To(HaveKeyWithValue(rpav1alpha1.LabelSchedule, "sort"))
	g.Expect(metav1.IsControlledBy(run, getRobot(g, robot))).To(BeTrue())

	g.Eventually(func(g Gomega) {
		status := getRobot(g, robot).Status
		g.Expect(status.Schedules).To(HaveLen(1))
		// With the schedule lead the run exists before its time; the
		// schedule records the time when it comes.
		g.Expect(status.Schedules[0].LastScheduleTime).NotTo(BeNil())
		g.Expect(status.Schedules[0].LastScheduleTime.Time).To(BeTemporally("==", first))
		g.Expect(status.Schedules[0].LastRunName).To(Equal(wantName))
		g.Expect(status.Schedules[0].NextScheduleTime.Time).To(BeTemporally("==", first.Add(time.Minute)))
		g.Expect(status.NextScheduleTime.Time).To(BeTemporally("==", first.Add(time.Minute)))
		g.Expect(status.LastScheduleTime.Time).To(BeTemporally("==", first))
		g.Expect(status.ScheduleSummary).To(Equal("* * * * *"))
	}, timeout, interval).Should(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(runsOfRobot(g, ns, robot.Name)).To(HaveLen(1), "one run per scheduled time")
	}, 2*time.Second, interval).Should(Succeed())

	// The next minute makes the next run, and only that one.
	second := clockJustBefore(t, nextMinute)
	patchRobot(g, robot, func(r *rpav1alpha1.Robot) { r.Spec.Description = "touched to reconcile at the new time" })
	g.Eventually(func(g Gomega) {
		g.Expect(runNames(runsOfRobot(g, ns, robot.Name))).To(Equal([]string{
			wantName, scheduledrun.Name("mail-robot", "sort", second),
		}))
	}, scheduleTimeout, interval).Should(Succeed())
}

func TestWeekdayScheduleRunsAtSevenInCopenhagen(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	copenhagen, err := time.LoadLocation("Europe/Copenhagen")
	g.Expect(err).NotTo(HaveOccurred())
	nextWeekdaySeven := func(now time.Time) time.Time {
		local := now.In(copenhagen)
		day := time.Date(local.Year(), local.Month(), local.Day(), 7, 0, 0, 0, copenhagen)
		for !day.After(now) || day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			day = time.Date(day.Year(), day.Month(), day.Day()+1, 7, 0, 0, 0, copenhagen)
		}
		return day
	}
	at := clockJustBefore(t, nextWeekdaySeven)
	robot := createRobot(t, ns, "welcome-letters", func(r *rpav1alpha1.Robot) {
		r.Spec.Schedules = []rpav1alpha1.Schedule{{Name: "weekdays", Cron: "0 7 * * 1-5", TimeZone: "Europe/Copenhagen"}}
	})
	wantName := scheduledrun.Name("welcome-letters", "weekdays", at)
	g.Eventually(func(g Gomega) {
		g.Expect(runNames(runsOfRobot(g, ns, robot.Name))).To(Equal([]string{wantName}))
	}, scheduleTimeout, interval).Should(Succeed())
	g.Eventually(func(g Gomega) {
		next := getRobot(g, robot).Status.NextScheduleTime
		g.Expect(next).NotTo(BeNil())
		g.Expect(next.Time).To(BeTemporally("==", nextWeekdaySeven(at)))
	}, timeout, interval).Should(Succeed())
}

func TestForbidSkipsAScheduledTimeWhileARunIsUnfinished(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	at := clockJustBefore(t, nextMinute)
	robot := createRobot(t, ns, "certificate-journal", func(r *rpav1alpha1.Robot) {
		r.Spec.Schedules = []rpav1alpha1.Schedule{everyMinute("often")}
	})
	manual := createRun(t, ns, "by-hand", robot.Name, nil)
	waitForJob(g, manual)

	g.Eventually(func(g Gomega) {
		status := getRobot(g, robot).Status
		g.Expect(status.SkippedRuns).To(Equal(int64(1)))
		g.Expect(status.Schedules[0].LastScheduleTime.Time).To(BeTemporally("==", at))
	}, scheduleTimeout, interval).Should(Succeed())
	g.Expect(runNames(runsOfRobot(g, ns, robot.Name))).To(Equal([]string{"by-hand"}), "no scheduled run was created")
	g.Eventually(func(g Gomega) {
		g.Expect(eventReasons(g, ns, robot.Name)).To(ContainElement(rpav1alpha1.ReasonSkippedRun))
	}, timeout, interval).Should(Succeed())
}

func TestForbidQueuesAManualRunUntilTheActiveRunFinishes(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "certificate-journal", nil)
	first := createRun(t, ns, "first", robot.Name, nil)
	firstJob := waitForJob(g, first)
	second := createRun(t, ns, "second", robot.Name, nil)

	queued := waitForOutcome(g, second, rpav1alpha1.PhaseQueued, rpav1alpha1.ReasonWaitingForRun)
	g.Expect(queued.Status.Message).To(ContainSubstring("run first has not finished"))
	expectNoJobNamed(g, ns, jobs.JobName(second.Name))

	succeedJob(g, firstJob)
	waitForJob(g, second)
}

func TestQueueStartsRunsOneAtATimeInCreationOrder(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "invoice-booking", func(r *rpav1alpha1.Robot) {
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyQueue
	})
	a := createRun(t, ns, "a", robot.Name, nil)
	jobA := waitForJob(g, a)
	b := createRun(t, ns, "b", robot.Name, nil)
	waitForOutcome(g, b, rpav1alpha1.PhaseQueued, rpav1alpha1.ReasonWaitingForRun)
	c := createRun(t, ns, "c", robot.Name, nil)
	queuedC := waitForOutcome(g, c, rpav1alpha1.PhaseQueued, rpav1alpha1.ReasonWaitingForRun)
	g.Expect(queuedC.Status.Message).To(Or(ContainSubstring("run b was created earlier"), ContainSubstring("run a has not finished")))

	startJob(g, jobA)
	endPod(g, createPod(g, jobA, "a1"), 1, "")
	failJob(g, jobA, batchv1.JobReasonBackoffLimitExceeded, 1)
	jobB := waitForJob(g, b)
	g.Eventually(func(g Gomega) {
		g.Expect(getRun(g, c).Status.Message).To(ContainSubstring("run b"))
	}, timeout, interval).Should(Succeed())
	expectNoJobNamed(g, ns, jobs.JobName(c.Name))

	succeedJob(g, jobB)
	waitForJob(g, c)
}

func TestReplaceCancelsTheUnfinishedRunAndStartsWhenItHasStopped(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	robot := createRobot(t, ns, "system-monitoring", func(r *rpav1alpha1.Robot) {
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyReplace
	})
	// Runs created in the same second are ordered by name; these are named
	// in the order they are created.
	old := createRun(t, ns, "check-1", robot.Name, nil)
	oldJob := waitForJob(g, old)
	startJob(g, oldJob)
	oldPod := createPod(g, oldJob, "a1")
	runPod(g, oldPod)
	waitForOutcome(g, old, rpav1alpha1.PhaseRunning, rpav1alpha1.ReasonRunning)

	replacement := createRun(t, ns, "check-2", robot.Name, nil)
	replaced := waitForOutcome(g, old, rpav1alpha1.PhaseCancelled, rpav1alpha1.ReasonReplaced)
	g.Expect(replaced.Status.Message).To(ContainSubstring("replaced by run check-2"))
	// The old robot's pod is in its grace period: the new run waits.
	waitForOutcome(g, replacement, rpav1alpha1.PhaseQueued, rpav1alpha1.ReasonWaitingForRun)
	expectNoJobNamed(g, ns, jobs.JobName(replacement.Name))

	// The garbage collector and kubelet remove the old pod (envtest has neither).
	g.Expect(k8sClient.Delete(ctx, oldPod, client.GracePeriodSeconds(0))).To(Succeed())
	waitForJob(g, replacement)
}

func TestAllowRunsOverlap(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "meeting-invitations", func(r *rpav1alpha1.Robot) {
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
	})
	waitForJob(g, createRun(t, ns, "one", robot.Name, nil))
	waitForJob(g, createRun(t, ns, "two", robot.Name, nil))
}

func TestHistoryKeepsTheNewestRunsWithinTheLimits(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "flex-wage", func(r *rpav1alpha1.Robot) {
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
		r.Spec.SuccessfulRunsHistoryLimit = ptr.To[int32](2)
		r.Spec.FailedRunsHistoryLimit = ptr.To[int32](1)
		r.Spec.Parameters = []rpav1alpha1.Parameter{{Name: "month", Required: true}}
	})
	for i := range 4 {
		run := createRun(t, ns, fmt.Sprintf("ok-%d", i), robot.Name, map[string]string{"month": "2026-11"})
		job := waitForJob(g, run)
		succeedJob(g, job)
		waitForOutcome(g, run, rpav1alpha1.PhaseSucceeded, rpav1alpha1.ReasonCompleted)
	}
	for i := range 3 {
		// No month: these fail at once with InvalidArguments.
		run := createRun(t, ns, fmt.Sprintf("bad-%d", i), robot.Name, nil)
		waitForOutcome(g, run, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonInvalidArguments)
	}
	g.Eventually(func(g Gomega) {
		g.Expect(runNames(runsOfRobot(g, ns, robot.Name))).To(ConsistOf("ok-2", "ok-3", "bad-2"))
	}, timeout, interval).Should(Succeed())
}

func TestInvalidScheduleMakesTheRobotNotReadyWhileItsOtherSchedulesRun(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	at := clockJustBefore(t, nextMinute)
	robot := createRobot(t, ns, "residence-check", func(r *rpav1alpha1.Robot) {
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
		r.Spec.Schedules = []rpav1alpha1.Schedule{
			{Name: "quarterly", Cron: "0 6 1 1,4,7,10 *", TimeZone: "Europe/Kobenhavn"},
			{Name: "hour-25", Cron: "0 25 * * *", TimeZone: "UTC"},
			everyMinute("often"),
		}
	})
	g.Eventually(func(g Gomega) {
		ready := readyOf(g, robot)
		g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(ready.Reason).To(Equal(rpav1alpha1.ReasonInvalidSchedule))
		g.Expect(ready.Message).To(ContainSubstring(`schedule "quarterly": unknown time zone "Europe/Kobenhavn"`))
		g.Expect(ready.Message).To(ContainSubstring(`schedule "hour-25": invalid cron expression`))
	}, timeout, interval).Should(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(runNames(runsOfRobot(g, ns, robot.Name))).To(Equal([]string{scheduledrun.Name("residence-check", "often", at)}))
	}, scheduleTimeout, interval).Should(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(eventReasons(g, ns, robot.Name)).To(ContainElement(rpav1alpha1.ReasonInvalidSchedule))
	}, timeout, interval).Should(Succeed())
}

func TestAfterAnOutageOnlyTheMostRecentTimeRunsAndTheRestAreCounted(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	first := clockJustBefore(t, nextMinute)
	robot := createRobot(t, ns, "mail-robot", func(r *rpav1alpha1.Robot) {
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
		r.Spec.Schedules = []rpav1alpha1.Schedule{everyMinute("sort")}
	})
	g.Eventually(func(g Gomega) {
		g.Expect(runsOfRobot(g, ns, robot.Name)).To(HaveLen(1))
	}, scheduleTimeout, interval).Should(Succeed())
	expectTimeHandled(g, robot, first)

	// The controller sees nothing for 30 minutes (its clock jumps), then
	// recovers: one run for the latest minute, 29 counted missed, one Event.
	advanceClock(t, 30*time.Minute)
	patchRobot(g, robot, func(r *rpav1alpha1.Robot) { r.Spec.Description = "after the outage" })
	latest := first.Add(30 * time.Minute)
	g.Eventually(func(g Gomega) {
		g.Expect(runNames(runsOfRobot(g, ns, robot.Name))).To(ContainElement(scheduledrun.Name("mail-robot", "sort", latest)))
		g.Expect(getRobot(g, robot).Status.MissedRuns).To(Equal(int64(29)))
	}, scheduleTimeout, interval).Should(Succeed())
	g.Expect(runsOfRobot(g, ns, robot.Name)).To(HaveLen(2))
	g.Eventually(func(g Gomega) {
		g.Expect(eventReasons(g, ns, robot.Name)).To(ContainElement(rpav1alpha1.ReasonMissedRuns))
	}, timeout, interval).Should(Succeed())
}

func TestATimePastTheStartingDeadlineIsMissedNotRunLate(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	first := clockJustBefore(t, nextMinute)
	robot := createRobot(t, ns, "mail-robot", func(r *rpav1alpha1.Robot) {
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
		r.Spec.StartingDeadlineSeconds = ptr.To[int64](10)
		r.Spec.Schedules = []rpav1alpha1.Schedule{everyMinute("sort")}
	})
	g.Eventually(func(g Gomega) {
		g.Expect(runsOfRobot(g, ns, robot.Name)).To(HaveLen(1))
	}, scheduleTimeout, interval).Should(Succeed())
	expectTimeHandled(g, robot, first)

	// Down for ten minutes and 20 seconds: the latest time is 20 s late,
	// and the next is more than the schedule lead away.
	advanceClock(t, 10*time.Minute+20*time.Second)
	patchRobot(g, robot, func(r *rpav1alpha1.Robot) { r.Spec.Description = "after the outage" })
	g.Eventually(func(g Gomega) {
		status := getRobot(g, robot).Status
		g.Expect(status.MissedRuns).To(Equal(int64(10)))
		g.Expect(status.Schedules[0].LastScheduleTime.Time).To(BeTemporally("==", first.Add(10*time.Minute)))
	}, scheduleTimeout, interval).Should(Succeed())
	g.Expect(runsOfRobot(g, ns, robot.Name)).To(HaveLen(1), "nothing ran late")
}

func TestSuspendedScheduleStartsNothingAndResumingSkipsThePast(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	clockJustBefore(t, nextMinute)
	robot := createRobot(t, ns, "oil-tanks", func(r *rpav1alpha1.Robot) {
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
		s := everyMinute("letters")
		s.Suspend = true
		r.Spec.Schedules = []rpav1alpha1.Schedule{s}
	})
	g.Eventually(func(g Gomega) {
		status := getRobot(g, robot).Status
		g.Expect(status.Schedules).To(HaveLen(1))
		g.Expect(status.Schedules[0].Suspended).To(BeTrue())
		g.Expect(status.Schedules[0].NextScheduleTime).To(BeNil())
		g.Expect(status.NextScheduleTime).To(BeNil())
	}, timeout, interval).Should(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(runsOfRobot(g, ns, robot.Name)).To(BeEmpty())
	}, 4*time.Second, interval).Should(Succeed())

	// Resumed ten minutes later: the times passed while suspended are not run.
	advanceClock(t, 10*time.Minute)
	patchRobot(g, robot, func(r *rpav1alpha1.Robot) { r.Spec.Schedules[0].Suspend = false })
	g.Eventually(func(g Gomega) {
		status := getRobot(g, robot).Status
		g.Expect(status.Schedules[0].Suspended).To(BeFalse())
		g.Expect(status.Schedules[0].NextScheduleTime).NotTo(BeNil())
	}, timeout, interval).Should(Succeed())
	g.Expect(runsOfRobot(g, ns, robot.Name)).To(BeEmpty())
	g.Expect(getRobot(g, robot).Status.MissedRuns).To(BeZero())
}

func TestTwoControllersCreateOneRunPerScheduledTime(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	startSecondManager(t)
	at := clockJustBefore(t, nextMinute)
	robot := createRobot(t, ns, "mail-robot", func(r *rpav1alpha1.Robot) {
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
		r.Spec.Schedules = []rpav1alpha1.Schedule{everyMinute("sort")}
	})
	g.Eventually(func(g Gomega) {
		g.Expect(runNames(runsOfRobot(g, ns, robot.Name))).To(Equal([]string{scheduledrun.Name("mail-robot", "sort", at)}))
	}, scheduleTimeout, interval).Should(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(runsOfRobot(g, ns, robot.Name)).To(HaveLen(1))
	}, 3*time.Second, interval).Should(Succeed())
	// The robot records the run once the run's status write brings it
	// back, after its time.
	g.Eventually(func(g Gomega) {
		g.Expect(getRobot(g, robot).Status.Schedules).To(ConsistOf(HaveField("LastRunName", scheduledrun.Name("mail-robot", "sort", at))))
	}, timeout, interval).Should(Succeed())
}

func expectNoJobNamed(g Gomega, ns, name string) {
	g.Consistently(func(g Gomega) {
		g.Expect(jobsIn(g, ns)).NotTo(ContainElement(name))
	}, time.Second, interval).Should(Succeed())
}

// TestScheduleArgumentsThatDoNotFitTheParametersMakeTheRobotNotReady: a
// schedule whose arguments name no parameter, or leave a required one out,
// would start runs that all fail InvalidArguments; the Robot says so
// instead, and that schedule starts none while the others run.
func TestScheduleArgumentsThatDoNotFitTheParametersMakeTheRobotNotReady(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	at := clockJustBefore(t, nextMinute)
	robot := createRobot(t, ns, "letters", func(r *rpav1alpha1.Robot) {
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
		r.Spec.Parameters = []rpav1alpha1.Parameter{{Name: "batchSize", Required: true}}
		typo := everyMinute("typo")
		typo.Arguments = map[string]string{"batchSize": "40", "bachSize": "40"}
		missing := everyMinute("missing")
		good := everyMinute("good")
		good.Arguments = map[string]string{"batchSize": "40"}
		r.Spec.Schedules = []rpav1alpha1.Schedule{typo, missing, good}
	})
	g.Eventually(func(g Gomega) {
		ready := readyOf(g, robot)
		g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(ready.Reason).To(Equal(rpav1alpha1.ReasonInvalidSchedule))
		g.Expect(ready.Message).To(ContainSubstring(`schedule "typo": arguments: unknown argument(s) bachSize`))
		g.Expect(ready.Message).To(ContainSubstring(`schedule "missing": arguments: missing required argument(s) batchSize`))
	}, timeout, interval).Should(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(runNames(runsOfRobot(g, ns, robot.Name))).To(Equal([]string{scheduledrun.Name(robot.Name, "good", at)}))
	}, scheduleTimeout, interval).Should(Succeed())
}
