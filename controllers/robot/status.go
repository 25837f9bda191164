package robot

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// summarizeRuns sets activeRuns, lastRun and lastSuccessfulTime from the
// robot's runs. lastSuccessfulTime never goes back: the run that set it may
// since have been pruned. A run created ahead of its time counts from then.
func summarizeRuns(status *rpav1alpha1.RobotStatus, runs []rpav1alpha1.RobotRun, now time.Time) {
	status.ActiveRuns = 0
	var last *rpav1alpha1.RobotRun
	for i := range runs {
		run := &runs[i]
		if run.NotYetDue(now) {
			continue
		}
		if !run.Status.Phase.Finished() {
			status.ActiveRuns++
		}
		if last == nil || run.CreatedAfter(last) {
			last = run
		}
		if run.Status.Phase == rpav1alpha1.PhaseSucceeded && run.Status.CompletionTime != nil &&
			(status.LastSuccessfulTime == nil || status.LastSuccessfulTime.Before(run.Status.CompletionTime)) {
			status.LastSuccessfulTime = run.Status.CompletionTime.DeepCopy()
		}
	}
	if last == nil {
		return
	}
	status.LastRun = &rpav1alpha1.RunReference{
		Name: last.Name, Phase: last.Status.Phase, CompletionTime: last.Status.CompletionTime.DeepCopy(),
	}
	// A run the run controller has not written yet waits to start: saying
	// Pending now spares a robot status write when it then says so itself.
	if status.LastRun.Phase == "" {
		status.LastRun.Phase = rpav1alpha1.PhasePending
	}
}

// maxRunsNamed is how many runs waiting for a Secret the Ready message
// names; the rest are counted, so the condition stays within its limit.
const maxRunsNamed = 3

// runsWaitingForSecrets describes the robot's runs whose pods wait for a
// Secret the kubelet cannot find. The manager cannot read Secrets, so the
// robot learns from its runs that one is missing.
func runsWaitingForSecrets(runs []rpav1alpha1.RobotRun) []string {
	var waiting []string
	for i := range runs {
		run := &runs[i]
		succeeded := meta.FindStatusCondition(run.Status.Conditions, rpav1alpha1.ConditionSucceeded)
		if run.Status.Phase == rpav1alpha1.PhasePending && succeeded != nil && succeeded.Reason == rpav1alpha1.ReasonCredentialsNotFound {
			waiting = append(waiting, fmt.Sprintf("run %s: %s", run.Name, run.Status.Message))
		}
	}
	slices.Sort(waiting)
	if len(waiting) > maxRunsNamed {
		waiting = append(waiting[:maxRunsNamed], fmt.Sprintf("%d more runs wait the same way", len(waiting)-maxRunsNamed))
	}
	return waiting
}

// problems are what keeps a robot's runs from starting, each a list of
// names or messages; secrets describes runs that wait for a Secret.
type problems struct {
	secrets, schedules, calendars, systems, systemsNotAllowed, conflicts []string
}

// readyCondition says whether runs can start: an invalid schedule, a
// schedule's missing calendar, a run waiting for a missing Secret, a missing
// TargetSystem or one the namespace may not use, or a scheduled run's name
// taken by another run makes the
// robot not Ready, with every problem named; the reason is the first of
// them in that order.
func readyCondition(generation int64, p problems) metav1.Condition {
	cond := metav1.Condition{Type: rpav1alpha1.ConditionReady, Status: metav1.ConditionFalse, ObservedGeneration: generation}
	var messages []string
	add := func(reason, message string) {
		if cond.Reason == "" {
			cond.Reason = reason
		}
		messages = append(messages, message)
	}
	if len(p.schedules) > 0 {
		add(rpav1alpha1.ReasonInvalidSchedule, strings.Join(p.schedules, "; ")+"; fix the schedule, the robot's other schedules keep working")
	}
	if len(p.calendars) > 0 {
		add(rpav1alpha1.ReasonCalendarNotFound, strings.Join(p.calendars, "; ")+"; create the calendar, the schedule starts no runs until it exists")
	}
	if len(p.secrets) > 0 {
		add(rpav1alpha1.ReasonCredentialsNotFound, strings.Join(p.secrets, "; ")+"; create the Secrets and the waiting runs start")
	}
	if len(p.systems) > 0 {
		add(rpav1alpha1.ReasonTargetSystemNotFound, fmt.Sprintf(
			"TargetSystem(s) %s do not exist; create them, runs wait until they exist", strings.Join(p.systems, ", ")))
	}
	if len(p.systemsNotAllowed) > 0 {
		add(rpav1alpha1.ReasonTargetSystemNotAllowed, fmt.Sprintf(
			"TargetSystem(s) %s do not let this namespace's robots use them (spec.namespaceSelector); ask the platform team, runs wait until they do",
			strings.Join(p.systemsNotAllowed, ", ")))
	}
	if len(p.conflicts) > 0 {
		add(rpav1alpha1.ReasonScheduledRunConflict, strings.Join(p.conflicts, "; "))
	}
	if len(messages) > 0 {
		cond.Message = strings.Join(messages, ". ")
		return cond
	}
	cond.Status, cond.Reason = metav1.ConditionTrue, rpav1alpha1.ReasonReady
	cond.Message = "the robot's schedules are valid and what it names exists; runs can start"
	return cond
}

// setStalled makes the Robot Stalled (kstatus: Argo CD, Flux and kpt read
// it without knowing our types) whenever it is not Ready: every reason a
// Robot is not Ready needs a person to change something.
func setStalled(conditions *[]metav1.Condition, ready metav1.Condition) {
	if ready.Status == metav1.ConditionTrue {
		meta.RemoveStatusCondition(conditions, rpav1alpha1.ConditionStalled)
		return
	}
	meta.SetStatusCondition(conditions, metav1.Condition{
		Type: rpav1alpha1.ConditionStalled, Status: metav1.ConditionTrue,
		Reason: ready.Reason, Message: ready.Message, ObservedGeneration: ready.ObservedGeneration,
	})
}

// summarizeSchedules fills in the robot-level schedule fields.
func summarizeSchedules(robot *rpav1alpha1.Robot, next *rpav1alpha1.RobotStatus) {
	next.NextScheduleTime, next.LastScheduleTime = nil, nil
	for _, s := range next.Schedules {
		if s.NextScheduleTime != nil && (next.NextScheduleTime == nil || s.NextScheduleTime.Before(next.NextScheduleTime)) {
			next.NextScheduleTime = s.NextScheduleTime.DeepCopy()
		}
		if s.LastScheduleTime != nil && (next.LastScheduleTime == nil || next.LastScheduleTime.Before(s.LastScheduleTime)) {
			next.LastScheduleTime = s.LastScheduleTime.DeepCopy()
		}
	}
	switch n := len(robot.Spec.Schedules); n {
	case 0:
		next.ScheduleSummary = ""
	case 1:
		next.ScheduleSummary = robot.Spec.Schedules[0].Cron
	default:
		next.ScheduleSummary = fmt.Sprintf("%d schedules", n)
	}
}
