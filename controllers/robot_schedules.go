package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
	"github.com/rpa-operator/rpa-operator/controllers/schedule"
)

// LabelSchedule names the schedule that created a run.
const LabelSchedule = "rpa.dev/schedule"

// +kubebuilder:rbac:groups=rpa.dev,resources=robotruns,verbs=create;delete

// scheduleOutcome is what reconciling a robot's schedules found.
type scheduleOutcome struct {
	// problems are user-fixable errors, one per invalid schedule.
	problems []string
	// missingCalendars name the schedules whose RobotCalendar does not exist.
	missingCalendars []string
	// requeueAfter is how long until the next scheduled time.
	requeueAfter time.Duration
	// successDue is the earliest of the schedules' success due times (see
	// schedule.Plan); zero when no schedule expects a run.
	successDue time.Time
	// created are the runs this reconcile created. The status written next
	// counts them already, so that their arrival in the cache changes
	// nothing and costs no second status write.
	created []rpav1alpha1.RobotRun
}

// reconcileSchedules creates the runs that are due, counts skipped and
// missed times, and records each schedule's last and next time in next.
func (r *RobotReconciler) reconcileSchedules(ctx context.Context, robot *rpav1alpha1.Robot, runs []rpav1alpha1.RobotRun,
	next *rpav1alpha1.RobotStatus) (scheduleOutcome, error) {
	now := r.Clock.Now()
	var out scheduleOutcome
	previous := map[string]rpav1alpha1.ScheduleStatus{}
	for _, s := range robot.Status.Schedules {
		previous[s.Name] = s
	}
	next.Schedules = nil
	plans := map[string]schedule.Plan{}
	for _, sched := range robot.Spec.Schedules {
		prev := previous[sched.Name]
		cal, problem, err := r.scheduleCalendar(ctx, robot, sched)
		if err != nil {
			return out, err
		}
		var notFound errCalendarNotFound
		switch {
		case errors.As(problem, &notFound):
			out.missingCalendars = append(out.missingCalendars, fmt.Sprintf("schedule %q: %v", sched.Name, problem))
			continue
		case problem != nil:
			out.problems = append(out.problems, fmt.Sprintf("schedule %q: %v", sched.Name, problem))
			continue
		}
		in := planInput(robot, sched, prev, now)
		in.Calendar, in.Policy, in.Lead = cal, schedule.Policy(sched.CalendarPolicy), r.leadFor(robot)
		if next.LastSuccessfulTime != nil {
			in.LastSuccess = next.LastSuccessfulTime.Time
		}
		plan, err := schedule.MakePlan(in)
		if err != nil {
			out.problems = append(out.problems, fmt.Sprintf("schedule %q: %v", sched.Name, err))
			continue
		}
		status, created, err := r.carryOut(ctx, robot, sched, prev, plan, runs, next)
		if err != nil {
			return out, err
		}
		if created != nil {
			out.created = append(out.created, *created)
		}
		next.Schedules = append(next.Schedules, status)
		plans[sched.Name] = plan
		if wake := wakeAt(plan, in.Lead); !wake.IsZero() {
			out.requeueAfter = earliest(out.requeueAfter, wake.Sub(now))
		}
		if !plan.SuccessDue.IsZero() && (out.successDue.IsZero() || plan.SuccessDue.Before(out.successDue)) {
			out.successDue = plan.SuccessDue
		}
	}
	summarizeSchedules(robot, next)
	return out, r.withdrawUnwanted(ctx, robot, runs, plans, now)
}

// wakeAt is when the robot needs reconciling again for a schedule: the
// plan's wake, except when the next time's run was created ahead. Then the
// robot need not wake at that instant, when the Jobs of every robot due
// then go first: the run's first status write, right after its Job,
// brings the robot back to record the time, and at the latest it looks
// again one lead later.
func wakeAt(plan schedule.Plan, lead time.Duration) time.Time {
	if plan.Ahead.IsZero() {
		return plan.Wake
	}
	return plan.Ahead.Add(lead)
}

// leadFor is how long before their times the robot's scheduled runs are
// created: none under concurrencyPolicy Forbid, where whether a time runs
// or is skipped depends on the runs unfinished at that very instant.
func (r *RobotReconciler) leadFor(robot *rpav1alpha1.Robot) time.Duration {
	if robot.Spec.ConcurrencyPolicy == rpav1alpha1.ConcurrencyForbid {
		return 0
	}
	return r.ScheduleLead
}

// planInput gathers what schedule.MakePlan needs for one schedule.
func planInput(robot *rpav1alpha1.Robot, sched rpav1alpha1.Schedule, prev rpav1alpha1.ScheduleStatus, now time.Time) schedule.Input {
	in := schedule.Input{
		Cron:      sched.Cron,
		TimeZone:  sched.TimeZone,
		Suspended: robot.Spec.Suspend || sched.Suspend,
		Previous:  schedule.State{Cron: prev.Cron, TimeZone: prev.TimeZone, Suspended: prev.Suspended},
		Start:     now,
		Now:       now,
		// The robot's timeout bounds a run with its retries: a scheduled
		// run has had its chance to succeed once it has passed.
		SuccessGrace: jobs.Timeout(robot, &rpav1alpha1.RobotRun{}),
	}
	if prev.HandledUntil != nil {
		in.Previous.HandledUntil = prev.HandledUntil.Time
	}
	if prev.ActiveSince != nil {
		in.Previous.ActiveSince = prev.ActiveSince.Time
	}

	// A robot whose status was never written is new: its schedules count
	// from its creation, so a time between creation and the first
	// reconcile is not lost.
	if robot.Status.ObservedGeneration == 0 {
		in.Start = robot.CreationTimestamp.Time
	}
	if robot.Spec.StartingDeadlineSeconds != nil {
		d := time.Duration(*robot.Spec.StartingDeadlineSeconds) * time.Second
		in.StartingDeadline = &d
	}
	return in
}

// carryOut acts on a plan: creates the due run (or skips it under Forbid)
// and the next time's run when it may be created ahead, reports missed
// times, and returns the schedule's new status and the due run it created,
// if any.
func (r *RobotReconciler) carryOut(ctx context.Context, robot *rpav1alpha1.Robot, sched rpav1alpha1.Schedule,
	prev rpav1alpha1.ScheduleStatus, plan schedule.Plan, runs []rpav1alpha1.RobotRun,
	next *rpav1alpha1.RobotStatus) (rpav1alpha1.ScheduleStatus, *rpav1alpha1.RobotRun, error) {
	status := rpav1alpha1.ScheduleStatus{
		Name: sched.Name, Cron: sched.Cron, TimeZone: sched.TimeZone,
		LastScheduleTime: prev.LastScheduleTime, LastRunName: prev.LastRunName,
		HandledUntil: &metav1.Time{Time: plan.HandledUntil},
		Suspended:    robot.Spec.Suspend || sched.Suspend,
	}
	if !plan.Next.IsZero() {
		status.NextScheduleTime = &metav1.Time{Time: plan.Next}
	}
	if !plan.ActiveSince.IsZero() {
		status.ActiveSince = &metav1.Time{Time: plan.ActiveSince}
	}
	if !plan.Latest.IsZero() {
		status.LastScheduleTime = &metav1.Time{Time: plan.Latest}
	}
	if plan.Missed > 0 {
		// A time whose run was created ahead of it is not missed: the run
		// exists and starts, however late the operator comes to it.
		plan.Missed -= runsCreatedFor(runs, sched.Name, plan.MissedFrom, plan.MissedTo)
	}
	if plan.Missed > 0 {
		next.MissedRuns += plan.Missed
		r.Recorder.Eventf(robot, nil, corev1.EventTypeWarning, rpav1alpha1.ReasonMissedRuns, "Schedule",
			"schedule %q missed %d scheduled time(s) from %s to %s: the operator could not start them in time",
			sched.Name, plan.Missed, localTime(plan.MissedFrom, sched), localTime(plan.MissedTo, sched))
	}
	var created *rpav1alpha1.RobotRun
	if !plan.Due.IsZero() {
		name, run, err := r.startScheduledRun(ctx, robot, sched, plan.Due, runs, next)
		if err != nil {
			return status, nil, err
		}
		if name != "" {
			status.LastRunName = name
		}
		created = run
	}
	if !plan.Ahead.IsZero() {
		if err := r.createAhead(ctx, robot, sched, plan.Ahead, runs); err != nil {
			return status, created, err
		}
	}
	return status, created, nil
}

// startScheduledRun creates the run for a due time, named from robot,
// schedule and time so that a second attempt finds it instead of creating
// another (AlreadyExists is success). Under Forbid it skips the time while
// another run is unfinished. It returns the run's name ("" when skipped)
// and the run if this call created it.
//
// The common path costs one write and no read of the apiserver: the name
// is looked up in the cache, and a run the cache does not have yet is
// found by the create's AlreadyExists. Only before counting a skip is the
// apiserver asked, since the unfinished run could be this very one.
func (r *RobotReconciler) startScheduledRun(ctx context.Context, robot *rpav1alpha1.Robot, sched rpav1alpha1.Schedule,
	due time.Time, runs []rpav1alpha1.RobotRun, next *rpav1alpha1.RobotStatus) (string, *rpav1alpha1.RobotRun, error) {
	name := ScheduledRunName(robot.Name, sched.Name, due)
	if hasRun(runs, name) {
		return name, nil, nil
	}
	if robot.Spec.ConcurrencyPolicy == rpav1alpha1.ConcurrencyForbid {
		if active := firstUnfinished(runs, r.Clock.Now()); active != "" {
			if exists, err := r.runExists(ctx, robot.Namespace, name); err != nil || exists {
				return name, nil, err
			}
			next.SkippedRuns++
			r.Recorder.Eventf(robot, nil, corev1.EventTypeNormal, rpav1alpha1.ReasonSkippedRun, "Schedule",
				"schedule %q skipped %s: run %s has not finished (concurrencyPolicy Forbid)",
				sched.Name, localTime(due, sched), active)
			return "", nil, nil
		}
	}
	run, err := r.createScheduledRun(ctx, robot, sched, name, due, false)
	if err != nil || run == nil {
		return name, nil, err
	}
	// No Event: the run itself, the schedule's lastRunName and this log
	// line record it. A routine Event per scheduled run would be a second
	// write for every robot every time (docs/benchmarks.md).
	log.FromContext(ctx).Info("scheduled run created", "run", name, "schedule", sched.Name, "scheduledTime", due)
	return name, run, nil
}

// createScheduledRun creates the run of a schedule's time, owned by the
// robot; ahead marks it created before that time. It returns nil, and no
// error, when the run exists already.
func (r *RobotReconciler) createScheduledRun(ctx context.Context, robot *rpav1alpha1.Robot, sched rpav1alpha1.Schedule,
	name string, at time.Time, ahead bool) (*rpav1alpha1.RobotRun, error) {
	run := scheduledRun(robot, sched, name, at)
	if ahead {
		run.Annotations = map[string]string{AnnotationCreatedAhead: "true"}
	}
	if err := controllerutil.SetControllerReference(robot, run, r.Scheme()); err != nil {
		return nil, fmt.Errorf("own scheduled run %s: %w", name, err)
	}
	err := r.Create(ctx, run)
	switch {
	case apierrors.IsAlreadyExists(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("create scheduled run %s: %w", name, err)
	}
	return run, nil
}

// hasRun reports whether runs holds a run of that name.
func hasRun(runs []rpav1alpha1.RobotRun, name string) bool {
	for i := range runs {
		if runs[i].Name == name {
			return true
		}
	}
	return false
}

// runExists looks for a run in the cache and, if the cache does not have
// it, in the apiserver: a run created a moment ago may not be cached yet.
func (r *RobotReconciler) runExists(ctx context.Context, namespace, name string) (bool, error) {
	key := client.ObjectKey{Namespace: namespace, Name: name}
	err := r.Get(ctx, key, &rpav1alpha1.RobotRun{})
	if apierrors.IsNotFound(err) {
		err = r.APIReader.Get(ctx, key, &rpav1alpha1.RobotRun{})
	}
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("look up run %s: %w", name, err)
	}
	return true, nil
}

// ScheduledRunName is the name of the run a schedule creates for a time:
// robot, schedule and the time in UTC to the minute (UTC, so that the two
// 02:30s of a fall-back night cannot collide).
func ScheduledRunName(robot, sched string, at time.Time) string {
	return fmt.Sprintf("%s-%s-%s", robot, sched, at.UTC().Format("200601021504"))
}

// scheduledRun is the run a schedule creates for a due time.
func scheduledRun(robot *rpav1alpha1.Robot, sched rpav1alpha1.Schedule, name string, due time.Time) *rpav1alpha1.RobotRun {
	return &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: robot.Namespace,
			Name:      name,
			Labels: map[string]string{
				jobs.LabelRobot: robot.Name,
				LabelSchedule:   sched.Name,
			},
		},
		Spec: rpav1alpha1.RobotRunSpec{
			RobotName: robot.Name,
			Arguments: sched.Arguments,
			Trigger: rpav1alpha1.Trigger{
				Type:          rpav1alpha1.TriggerSchedule,
				Schedule:      sched.Name,
				ScheduledTime: &metav1.Time{Time: due},
			},
		},
	}
}

// firstUnfinished names an unfinished run whose time has come, or "".
func firstUnfinished(runs []rpav1alpha1.RobotRun, now time.Time) string {
	for i := range runs {
		run := &runs[i]
		if !run.Status.Phase.Finished() && !notYetDue(run, now) {
			return run.Name
		}
	}
	return ""
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

// localTime renders a scheduled time in its schedule's zone, as people
// there read it.
func localTime(t time.Time, sched rpav1alpha1.Schedule) string {
	loc, err := time.LoadLocation(sched.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

// earliest returns the smaller positive duration, treating 0 as unset.
func earliest(a, b time.Duration) time.Duration {
	if b < time.Millisecond {
		b = time.Millisecond
	}
	if a == 0 || b < a {
		return b
	}
	return a
}

// invalidScheduleMessage joins schedule problems for a condition message.
func invalidScheduleMessage(problems []string) string {
	return strings.Join(problems, "; ") + "; fix the schedule, the robot's other schedules keep working"
}
