package main

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// processes name the fleet's robots, as a municipality's would be named.
var processes = []string{
	"welcome-letters", "certificate-journal", "benefit-payments", "address-changes", "invoice-matching",
	"absence-registration", "case-closing", "pension-statements", "tax-deductions", "school-enrolment",
}

// queueNames name the fleet's WorkQueues.
var queueNames = []string{"certificates", "invoices", "applications", "mail", "journal-notes"}

// zone is where the fleet's schedules keep time.
const zone = "Europe/Copenhagen"

// fate is how robot i stands: most ran fine, some failed today (last, or
// earlier and then succeeded), some are running, suspended or cannot
// start their runs. The shares are a plausible fleet's, not measured
// ones: the overview's time hardly depends on them, its order and words do.
type fate struct {
	suspended, notReady, lastFailed, failedEarlier, running bool
}

func fateOf(i int) fate {
	return fate{
		suspended:     i%40 == 0,
		notReady:      i%50 == 7,
		lastFailed:    i%12 == 3,
		failedEarlier: i%25 == 11,
		running:       i%20 == 9,
	}
}

// timeout is every robot's run timeout, and scheduleName the name of its
// one schedule.
const (
	timeout      = 30 * time.Minute
	scheduleName = "daily"
)

// robotOf is robot i of namespace ns with its runs, oldest first: one a
// day at the robot's daily time, the last of them within the last five
// hours (a running one within its timeout), and for a robot that failed
// earlier a manual run that failed two hours before the last; Status is
// filled in as the manager would have written it.
func robotOf(ns string, i, days int, now time.Time) (*rpav1alpha1.Robot, []*rpav1alpha1.RobotRun) {
	name := fmt.Sprintf("%s-%03d", processes[i%len(processes)], i)
	f := fateOf(i)
	ago := time.Duration(5+i%300) * time.Minute
	if f.running {
		ago = time.Duration(5+i%20) * time.Minute
	}
	latest := now.Add(-ago).Truncate(time.Minute)
	local := latest.In(copenhagen)
	cron := fmt.Sprintf("%d %d * * *", local.Minute(), local.Hour())
	robot := &rpav1alpha1.Robot{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"rpa.dev/department": ns}},
		Spec:       robotSpec(name, cron, f.suspended),
	}
	var list []*rpav1alpha1.RobotRun
	for day := days - 1; day >= 0; day-- {
		scheduled := latest.AddDate(0, 0, -day)
		phase := rpav1alpha1.PhaseSucceeded
		switch {
		case day == 0 && f.running:
			phase = rpav1alpha1.PhaseRunning
		case day == 0 && f.lastFailed:
			phase = rpav1alpha1.PhaseFailed
		}
		if day == 0 && f.failedEarlier {
			manual := runOf(robot, i, scheduled.Add(-2*time.Hour), rpav1alpha1.PhaseFailed)
			manual.Spec.Trigger = rpav1alpha1.Trigger{Type: rpav1alpha1.TriggerManual}
			delete(manual.Labels, rpav1alpha1.LabelSchedule)
			list = append(list, manual)
		}
		list = append(list, runOf(robot, i, scheduled, phase))
	}
	robot.Status = robotStatus(robot, f, cron, latest, list)
	return robot, list
}

var copenhagen = func() *time.Location {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		panic(err)
	}
	return loc
}()

func robotSpec(name, cron string, suspend bool) rpav1alpha1.RobotSpec {
	return rpav1alpha1.RobotSpec{
		Description: "Works through the " + name + " cases of the day in the case system and journals each one.",
		Suspend:     suspend,
		Template: rpav1alpha1.RobotTemplate{
			Image: "registry.example/robots/" + name + ":2.4.1",
			Env:   []corev1.EnvVar{{Name: "CASE_SYSTEM_URL", Value: "https://esdh.example/api"}, {Name: "LOG_LEVEL", Value: "info"}},
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("1Gi"),
			}},
		},
		Parameters: []rpav1alpha1.Parameter{
			{Name: "from", Description: "First case date to take (YYYY-MM-DD); today when empty."},
			{Name: "limit", Description: "At most this many cases in one run.", Default: ptr.To("500")},
		},
		Credentials: []rpav1alpha1.Credential{{Name: "case-system", SecretName: name + "-account", Account: "svc-" + name, Env: true}},
		Schedules:   []rpav1alpha1.Schedule{{Name: scheduleName, Cron: cron, TimeZone: zone}},
		Timeout:     &metav1.Duration{Duration: timeout},
		Retries:     rpav1alpha1.RetryPolicy{Limit: 1},
	}
}

// runOf is the robot's run for a scheduled time, in the given phase.
func runOf(robot *rpav1alpha1.Robot, i int, scheduled time.Time, phase rpav1alpha1.RunPhase) *rpav1alpha1.RobotRun {
	name := fmt.Sprintf("%s-%s", robot.Name, scheduled.UTC().Format("200601021504"))
	started := scheduled.Add(3 * time.Second)
	took := time.Duration(2+i%9)*time.Minute + time.Duration(i%60)*time.Second
	run := &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: robot.Namespace, Name: name, Labels: map[string]string{
			rpav1alpha1.LabelRobot: robot.Name, rpav1alpha1.LabelSchedule: scheduleName,
		}},
		Spec: rpav1alpha1.RobotRunSpec{RobotName: robot.Name, Trigger: rpav1alpha1.Trigger{
			Type: rpav1alpha1.TriggerSchedule, Schedule: scheduleName, ScheduledTime: ptr.To(metav1.NewTime(scheduled)),
		}},
	}
	st := rpav1alpha1.RobotRunStatus{
		Phase: phase, ObservedGeneration: 1, RobotGeneration: 1, JobName: name, PodName: name + "-x7k2p",
		StartTime: ptr.To(metav1.NewTime(started)), Attempts: 1, Priority: 0, Image: robot.Spec.Template.Image,
		ImageID:     "registry.example/robots/" + robot.Name + "@sha256:4f1c9e0b8d7a6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b",
		Credentials: []rpav1alpha1.RunCredential{{Name: "case-system", SecretName: robot.Name + "-account", Account: "svc-" + robot.Name}},
	}
	succeeded := metav1.Condition{Type: rpav1alpha1.ConditionSucceeded, ObservedGeneration: 1}
	switch phase {
	case rpav1alpha1.PhaseRunning:
		succeeded.Status, succeeded.Reason, succeeded.Message = metav1.ConditionUnknown, rpav1alpha1.ReasonRunning, "the robot container is running"
		succeeded.LastTransitionTime = metav1.NewTime(started)
		st.Message = "running since " + started.UTC().Format(time.RFC3339)
	case rpav1alpha1.PhaseFailed:
		ended := started.Add(took)
		succeeded.Status, succeeded.Reason = metav1.ConditionFalse, rpav1alpha1.ReasonSystemException
		succeeded.Message, succeeded.LastTransitionTime = "the robot exited 1: a system exception, and it allows no more retries", metav1.NewTime(ended)
		st.CompletionTime, st.Duration, st.ExitCode = ptr.To(metav1.NewTime(ended)), took.String(), ptr.To[int32](1)
		st.Message = succeeded.Message
		st.LogTail = "ERROR case system answered 503 Service Unavailable\nERROR giving up after 3 tries\n"
	default:
		ended := started.Add(took)
		succeeded.Status, succeeded.Reason = metav1.ConditionTrue, rpav1alpha1.ReasonCompleted
		succeeded.Message, succeeded.LastTransitionTime = "the robot exited 0", metav1.NewTime(ended)
		st.CompletionTime, st.Duration, st.ExitCode = ptr.To(metav1.NewTime(ended)), took.String(), ptr.To[int32](0)
		st.Message = "completed"
		st.Result = &rpav1alpha1.RunResult{
			ItemsProcessed: ptr.To[int64](int64(40 + i%200)), ItemsSucceeded: ptr.To[int64](int64(38 + i%200)),
			BusinessExceptions: ptr.To[int64](2), Summary: "journalled the day's cases; 2 need a caseworker",
		}
	}
	st.Conditions = []metav1.Condition{succeeded}
	run.Status = st
	return run
}

// robotStatus is what the manager writes: Ready (and Stalled when not),
// the schedule's times, the last run and the active ones.
func robotStatus(robot *rpav1alpha1.Robot, f fate, cron string, latest time.Time, runs []*rpav1alpha1.RobotRun) rpav1alpha1.RobotStatus {
	created := metav1.NewTime(latest.AddDate(0, -3, 0))
	ready := metav1.Condition{
		Type: rpav1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: rpav1alpha1.ReasonReady, ObservedGeneration: 1,
		Message: "the robot's schedules are valid and what it names exists; runs can start", LastTransitionTime: created,
	}
	st := rpav1alpha1.RobotStatus{ObservedGeneration: 1, ScheduleSummary: cron}
	if f.notReady {
		ready.Status, ready.Reason = metav1.ConditionFalse, rpav1alpha1.ReasonCredentialsNotFound
		ready.Message = "Secret " + robot.Name + "-account does not exist; create the Secrets and the waiting runs start"
		st.Conditions = append(st.Conditions, metav1.Condition{
			Type: rpav1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Reason: ready.Reason, Message: ready.Message,
			ObservedGeneration: 1, LastTransitionTime: created,
		})
	}
	st.Conditions = append([]metav1.Condition{ready}, st.Conditions...)
	schedule := rpav1alpha1.ScheduleStatus{
		Name: scheduleName, Cron: cron, TimeZone: zone, LastScheduleTime: ptr.To(metav1.NewTime(latest)),
		HandledUntil: ptr.To(metav1.NewTime(latest)), Suspended: f.suspended,
	}
	if !f.suspended {
		next := metav1.NewTime(latest.AddDate(0, 0, 1))
		schedule.NextScheduleTime, schedule.ActiveSince, st.NextScheduleTime = &next, &created, &next
	}
	st.LastScheduleTime = schedule.LastScheduleTime
	for _, run := range runs {
		schedule.LastRunName = run.Name
		st.LastRun = &rpav1alpha1.RunReference{Name: run.Name, Phase: run.Status.Phase, CompletionTime: run.Status.CompletionTime}
		switch run.Status.Phase {
		case rpav1alpha1.PhaseSucceeded:
			st.LastSuccessfulTime = run.Status.CompletionTime
		case rpav1alpha1.PhaseRunning:
			st.ActiveRuns++
		}
	}
	st.Schedules = []rpav1alpha1.ScheduleStatus{schedule}
	st.SuccessDueTime = successDue(f, st.LastSuccessfulTime, runs, schedule.NextScheduleTime)
	return st
}

// successDue is the daily schedule's first time after the last success,
// plus the timeout; unset while suspended.
func successDue(f fate, lastSuccess *metav1.Time, runs []*rpav1alpha1.RobotRun, next *metav1.Time) *metav1.Time {
	if f.suspended {
		return nil
	}
	for _, run := range runs {
		scheduled := run.Spec.Trigger.ScheduledTime
		if run.Spec.Trigger.Type == rpav1alpha1.TriggerSchedule && (lastSuccess == nil || scheduled.After(lastSuccess.Time)) {
			return ptr.To(metav1.NewTime(scheduled.Add(timeout)))
		}
	}
	return ptr.To(metav1.NewTime(next.Add(timeout)))
}

// queueOf is WorkQueue i of namespace ns with counts as rpa-server's
// count controller writes them: some hold exceptions for people, some
// have items past their SLA.
func queueOf(ns string, i int, now time.Time) *rpav1alpha1.WorkQueue {
	name := fmt.Sprintf("%s-%02d", queueNames[i%len(queueNames)], i)
	q := &rpav1alpha1.WorkQueue{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: rpav1alpha1.WorkQueueSpec{
			Description: "Cases waiting for the " + processes[i%len(processes)] + " robot.",
			MaxAttempts: 3, SLA: &metav1.Duration{Duration: 4 * time.Hour},
			Robots: []string{fmt.Sprintf("%s-%03d", processes[i%len(processes)], i)},
		},
	}
	q.Status = rpav1alpha1.WorkQueueStatus{
		ObservedGeneration: 1,
		Items: rpav1alpha1.WorkQueueCounts{
			New: int64(37 * (i % 7)), InProgress: int64(i % 3), Done: int64(1200 + 311*i), Handled: int64(9 * i),
			BusinessException: int64(4 * (i % 3)), Failed: int64(i % 4 / 3),
		},
		TriggeredRuns: int32(i % 2),
		Conditions: []metav1.Condition{{
			Type: rpav1alpha1.ConditionTriggering, Status: metav1.ConditionTrue, Reason: rpav1alpha1.ReasonTriggering,
			Message: "the trigger starts runs as items wait", ObservedGeneration: 1, LastTransitionTime: metav1.NewTime(now.AddDate(0, -1, 0)),
		}},
	}
	if q.Status.Items.New > 0 {
		q.Status.OldestNewTime = ptr.To(metav1.NewTime(now.Add(-time.Duration(30+97*(i%5)) * time.Minute).Truncate(time.Second)))
	}
	if i%5 >= 3 { // the oldest waits longer than the SLA
		q.Status.Overdue = q.Status.Items.New / 2
	}
	return q
}
