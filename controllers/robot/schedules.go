package robot

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
	"github.com/rpa-operator/rpa-operator/controllers/kube"
	"github.com/rpa-operator/rpa-operator/controllers/refs"
	"github.com/rpa-operator/rpa-operator/controllers/schedule"
	"github.com/rpa-operator/rpa-operator/controllers/scheduledrun"
)

// scheduleOutcome is what reconciling a robot's schedules found.
type scheduleOutcome struct {
	// problems are user-fixable errors, one per invalid schedule.
	problems []string
	// missingCalendars name the schedules whose RobotCalendar does not exist.
	missingCalendars []string
	// conflicts name scheduled runs' names taken by runs that are not the
	// schedule's own for that time.
	conflicts []string
	// requeueAfter is how long until the next scheduled time.
	requeueAfter time.Duration
	// successDue is the earliest of the schedules' success due times (see
	// schedule.Plan); zero when no schedule expects a run.
	successDue time.Time
	// created are the runs this reconcile created, counted in the status
	// written next so that their arrival in the cache changes nothing.
	created []rpav1alpha1.RobotRun
}

// reconcileSchedules creates the runs that are due, counts skipped and
// missed times, withdraws runs created ahead that are no longer wanted,
// and records each schedule's last and next time in next.
func (r *Reconciler) reconcileSchedules(ctx context.Context, robot *rpav1alpha1.Robot, runs []rpav1alpha1.RobotRun,
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
		in, ok, err := r.planInput(ctx, robot, sched, prev, next, &out)
		if err != nil {
			return out, err
		}
		if !ok {
			continue
		}
		plan, err := schedule.MakePlan(in)
		if err != nil {
			out.problems = append(out.problems, fmt.Sprintf("schedule %q: %v", sched.Name, err))
			continue
		}
		status, aheadExists, err := r.carryOut(ctx, robot, sched, prev, plan, runs, next, &out)
		if err != nil {
			return out, err
		}
		next.Schedules = append(next.Schedules, status)
		plans[sched.Name] = plan
		if wake := wakeAt(plan, in.Lead, aheadExists); !wake.IsZero() {
			out.requeueAfter = earliest(out.requeueAfter, wake.Sub(now))
		}
		if !plan.SuccessDue.IsZero() && (out.successDue.IsZero() || plan.SuccessDue.Before(out.successDue)) {
			out.successDue = plan.SuccessDue
		}
	}
	summarizeSchedules(robot, next)
	next.SuccessDueTime = successDueTime(out.successDue)
	return out, r.withdrawUnwanted(ctx, robot, runs, plans, now)
}

// planInput gathers what schedule.MakePlan needs for one schedule. ok is
// false when the schedule cannot be planned: its arguments do not fit the
// robot's parameters (every run would fail InvalidArguments), or its
// calendar is missing or invalid; out then records it for Ready.
func (r *Reconciler) planInput(ctx context.Context, robot *rpav1alpha1.Robot, sched rpav1alpha1.Schedule,
	prev rpav1alpha1.ScheduleStatus, next *rpav1alpha1.RobotStatus, out *scheduleOutcome) (schedule.Input, bool, error) {
	if _, err := jobs.ResolveArguments(robot.Spec.Parameters, sched.Arguments); err != nil {
		out.problems = append(out.problems, fmt.Sprintf("schedule %q: arguments: %v", sched.Name, err))
		return schedule.Input{}, false, nil
	}
	cal, missing, problem, err := r.scheduleCalendar(ctx, robot, sched)
	switch {
	case err != nil:
		return schedule.Input{}, false, err
	case missing:
		out.missingCalendars = append(out.missingCalendars,
			fmt.Sprintf("schedule %q: RobotCalendar %q not found in the robot's namespace", sched.Name, sched.Calendar))
		return schedule.Input{}, false, nil
	case problem != nil:
		out.problems = append(out.problems, fmt.Sprintf("schedule %q: RobotCalendar %q: %v", sched.Name, sched.Calendar, problem))
		return schedule.Input{}, false, nil
	}
	in := planInput(robot, sched, prev, r.Clock.Now())
	in.Calendar, in.Policy, in.Lead = cal, schedule.Policy(sched.CalendarPolicy), r.leadFor(robot)
	if next.LastSuccessfulTime != nil {
		in.LastSuccess = next.LastSuccessfulTime.Time
	}
	return in, true, nil
}

// scheduleCalendar returns the compiled calendar a schedule names (nil for
// none), whether it is missing, or why it is invalid; err is for lookups
// that failed.
func (r *Reconciler) scheduleCalendar(ctx context.Context, robot *rpav1alpha1.Robot,
	sched rpav1alpha1.Schedule) (cal *schedule.Calendar, missing bool, problem, err error) {
	if sched.Calendar == "" {
		return nil, false, nil, nil
	}
	cal, missing, problem, err = refs.Calendar(ctx, r.Client, robot.Namespace, sched.Calendar)
	if err != nil {
		return nil, false, nil, fmt.Errorf("look up calendar %s for schedule %s: %w", sched.Calendar, sched.Name, err)
	}
	return cal, missing, problem, nil
}

// planInput is schedule.MakePlan's input from a schedule and its status.
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
	// from its creation, so a time before the first reconcile is not lost.
	if robot.Status.ObservedGeneration == 0 {
		in.Start = robot.CreationTimestamp.Time
	}
	if robot.Spec.StartingDeadlineSeconds != nil {
		d := time.Duration(*robot.Spec.StartingDeadlineSeconds) * time.Second
		in.StartingDeadline = &d
	}
	return in
}

// wakeAt is when the robot needs reconciling again for a schedule: the
// plan's wake, except when the next time's run exists, created ahead. Then
// the robot need not wake at that busy instant: the run's first status
// write brings it back, and at the latest it looks again one lead later.
func wakeAt(plan schedule.Plan, lead time.Duration, aheadExists bool) time.Time {
	if plan.Ahead.IsZero() || !aheadExists {
		return plan.Wake
	}
	return plan.Ahead.Add(lead)
}

// leadFor is how long before their times the robot's scheduled runs are
// created: none under concurrencyPolicy Forbid, where whether a time runs
// or is skipped depends on the runs unfinished at that very instant.
func (r *Reconciler) leadFor(robot *rpav1alpha1.Robot) time.Duration {
	if robot.Spec.ConcurrencyPolicy == rpav1alpha1.ConcurrencyForbid {
		return 0
	}
	return r.ScheduleLead
}

// carryOut acts on a plan: creates the due run (or skips it under Forbid)
// and the next time's run when it may be created ahead, reports missed
// times, and returns the schedule's new status and whether the next
// time's run exists ahead of it; the runs it created and the names it
// found taken go into out.
func (r *Reconciler) carryOut(ctx context.Context, robot *rpav1alpha1.Robot, sched rpav1alpha1.Schedule,
	prev rpav1alpha1.ScheduleStatus, plan schedule.Plan, runs []rpav1alpha1.RobotRun,
	next *rpav1alpha1.RobotStatus, out *scheduleOutcome) (rpav1alpha1.ScheduleStatus, bool, error) {
	status := scheduleStatus(robot, sched, prev, plan)
	r.countMissed(robot, sched, plan, runs, next)
	if !plan.Due.IsZero() {
		name, err := r.startScheduledRun(ctx, robot, sched, plan.Due, runs, next, out)
		if err != nil {
			return status, false, err
		}
		if name != "" {
			status.LastRunName = name
		}
	}
	if plan.Ahead.IsZero() {
		if !plan.Next.IsZero() && scheduledrun.Of(runs, robot, sched.Name, plan.Next) == nil {
			return status, false, r.checkNextName(ctx, robot, sched, plan.Next, out)
		}
		return status, false, nil
	}
	if scheduledrun.Of(runs, robot, sched.Name, plan.Ahead) != nil {
		return status, true, nil
	}
	run, name, err := r.createScheduledRun(ctx, robot, sched, plan.Ahead, true, next, out)
	if run != nil {
		log.FromContext(ctx).V(1).Info("scheduled run created ahead of its time", "run", run.Name, "scheduledTime", plan.Ahead)
	}
	return status, name != "", err
}

// scheduleStatus is a schedule's status after its plan.
func scheduleStatus(robot *rpav1alpha1.Robot, sched rpav1alpha1.Schedule, prev rpav1alpha1.ScheduleStatus,
	plan schedule.Plan) rpav1alpha1.ScheduleStatus {
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
	return status
}

// countMissed counts and reports the plan's missed times. A time whose run
// was created ahead of it is not missed: the run exists and starts,
// however late the operator comes to it.
func (r *Reconciler) countMissed(robot *rpav1alpha1.Robot, sched rpav1alpha1.Schedule, plan schedule.Plan,
	runs []rpav1alpha1.RobotRun, next *rpav1alpha1.RobotStatus) {
	missed := plan.Missed
	if missed > 0 {
		missed -= runsCreatedFor(runs, sched.Name, plan.MissedFrom, plan.MissedTo)
	}
	if missed <= 0 {
		return
	}
	next.MissedRuns += missed
	r.Recorder.Eventf(robot, nil, corev1.EventTypeWarning, rpav1alpha1.ReasonMissedRuns, "Schedule",
		"schedule %q missed %d scheduled time(s) from %s to %s: the operator could not start them in time",
		sched.Name, missed, scheduledrun.LocalTime(plan.MissedFrom, sched), scheduledrun.LocalTime(plan.MissedTo, sched))
}

// startScheduledRun creates the run for a due time, or under Forbid skips
// the time while another run is unfinished; it returns the run's name (""
// when skipped or its name is taken). Only before counting a skip is the
// apiserver asked: the unfinished run could be this very one.
func (r *Reconciler) startScheduledRun(ctx context.Context, robot *rpav1alpha1.Robot, sched rpav1alpha1.Schedule,
	due time.Time, runs []rpav1alpha1.RobotRun, next *rpav1alpha1.RobotStatus, out *scheduleOutcome) (string, error) {
	if existing := scheduledrun.Of(runs, robot, sched.Name, due); existing != nil {
		return existing.Name, nil
	}
	name := scheduledrun.Name(robot.Name, sched.Name, due)
	if robot.Spec.ConcurrencyPolicy == rpav1alpha1.ConcurrencyForbid {
		if active := firstUnfinished(runs, r.Clock.Now()); active != "" {
			existing := &rpav1alpha1.RobotRun{}
			key := client.ObjectKey{Namespace: robot.Namespace, Name: name}
			if found, err := kube.GetConfirmed(ctx, r.Client, r.APIReader, key, existing); err != nil || found {
				return r.existingRun(robot, sched, due, true, existing, next, out), err
			}
			next.SkippedRuns++
			r.Recorder.Eventf(robot, nil, corev1.EventTypeNormal, rpav1alpha1.ReasonSkippedRun, "Schedule",
				"schedule %q skipped %s: run %s has not finished (concurrencyPolicy Forbid)",
				sched.Name, scheduledrun.LocalTime(due, sched), active)
			return "", nil
		}
	}
	run, name, err := r.createScheduledRun(ctx, robot, sched, due, false, next, out)
	if err != nil || run == nil {
		return name, err
	}
	// No Event: the run, the schedule's lastRunName and this line record
	// it; an Event per scheduled run would double the writes.
	log.FromContext(ctx).Info("scheduled run created", "run", name, "schedule", sched.Name, "scheduledTime", due)
	out.created = append(out.created, *run)
	return name, nil
}

// createScheduledRun creates the run of a schedule's time, owned by the
// robot, and returns it with its name. When the run exists already it
// returns no run and the name; when the name is taken by another run, no
// run and "" (out.conflicts then says so).
func (r *Reconciler) createScheduledRun(ctx context.Context, robot *rpav1alpha1.Robot, sched rpav1alpha1.Schedule,
	at time.Time, ahead bool, next *rpav1alpha1.RobotStatus, out *scheduleOutcome) (*rpav1alpha1.RobotRun, string, error) {
	run := scheduledrun.New(robot, sched, at, ahead)
	if err := controllerutil.SetControllerReference(robot, run, r.Scheme()); err != nil {
		return nil, "", fmt.Errorf("own scheduled run %s: %w", run.Name, err)
	}
	err := r.Create(ctx, run)
	switch {
	case apierrors.IsAlreadyExists(err):
		existing := &rpav1alpha1.RobotRun{}
		if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(run), existing); err != nil {
			// Deleted since: the next reconcile creates it.
			return nil, "", fmt.Errorf("look up run %s: %w", run.Name, err)
		}
		return nil, r.existingRun(robot, sched, at, !ahead, existing, next, out), nil
	case err != nil:
		return nil, "", fmt.Errorf("create scheduled run %s: %w", run.Name, err)
	}
	return run, run.Name, nil
}

// existingRun returns the name of a run found under a scheduled run's
// name when it is that schedule's run for at. Otherwise the name is taken
// (someone created a run of that name first): out.conflicts says so, and
// when the time is due it is counted missed, with a Warning Event. It
// returns "" then.
func (r *Reconciler) existingRun(robot *rpav1alpha1.Robot, sched rpav1alpha1.Schedule, at time.Time, due bool,
	existing *rpav1alpha1.RobotRun, next *rpav1alpha1.RobotStatus, out *scheduleOutcome) string {
	if scheduledrun.Is(existing, robot, sched.Name, at) {
		return existing.Name
	}
	out.conflicts = append(out.conflicts, nameTaken(sched, existing.Name, at))
	if due {
		next.MissedRuns++
		r.Recorder.Eventf(robot, existing, corev1.EventTypeWarning, rpav1alpha1.ReasonScheduledRunConflict, "Schedule",
			"%s; the time was counted missed", nameTaken(sched, existing.Name, at))
	}
	return ""
}

// checkNextName reports, while a schedule's next time is coming, a run
// that holds that time's name and is not the schedule's: the Robot is not
// Ready until it is deleted or the time has passed.
func (r *Reconciler) checkNextName(ctx context.Context, robot *rpav1alpha1.Robot, sched rpav1alpha1.Schedule, at time.Time,
	out *scheduleOutcome) error {
	existing := &rpav1alpha1.RobotRun{}
	err := r.Get(ctx, client.ObjectKey{Namespace: robot.Namespace, Name: scheduledrun.Name(robot.Name, sched.Name, at)}, existing)
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("look up the next run of schedule %s: %w", sched.Name, err)
	}
	if !scheduledrun.Is(existing, robot, sched.Name, at) {
		out.conflicts = append(out.conflicts, nameTaken(sched, existing.Name, at))
	}
	return nil
}

func nameTaken(sched rpav1alpha1.Schedule, name string, at time.Time) string {
	return fmt.Sprintf("schedule %q: run %s exists but is not this schedule's run for %s, so that time cannot run; delete that run",
		sched.Name, name, scheduledrun.LocalTime(at, sched))
}

// withdrawUnwanted deletes the robot's runs created ahead whose time has
// not come, when that time is no longer their schedule's next: the robot
// or schedule was suspended, the schedule edited, removed or made invalid,
// or its calendar closed the day. plans holds each schedule planned now.
// Once its time has come, such a run is never withdrawn for being late.
func (r *Reconciler) withdrawUnwanted(ctx context.Context, robot *rpav1alpha1.Robot, runs []rpav1alpha1.RobotRun,
	plans map[string]schedule.Plan, now time.Time) error {
	for i := range runs {
		run := &runs[i]
		if !run.NotYetDue(now) || !run.CreatedAheadAndWaiting() {
			continue
		}
		plan, planned := plans[run.Spec.Trigger.Schedule]
		if planned && plan.Next.Equal(run.Spec.Trigger.ScheduledTime.Time) {
			continue
		}
		why := scheduledrun.UnwantedBecause(robot, run)
		switch {
		case why != "":
		case !planned:
			why = "its schedule is not valid (the Robot's Ready condition says why)"
		default:
			why = "its calendar no longer has that time"
		}
		if err := scheduledrun.Withdraw(ctx, r.Client, r.Recorder, robot, run, why); err != nil {
			return err
		}
	}
	return nil
}

// runsCreatedFor counts the runs of a schedule for times in [from, to].
func runsCreatedFor(runs []rpav1alpha1.RobotRun, sched string, from, to time.Time) int64 {
	var n int64
	for i := range runs {
		trigger := runs[i].Spec.Trigger
		if trigger.ScheduledTime == nil || trigger.Schedule != sched {
			continue
		}
		if at := trigger.ScheduledTime.Time; !at.Before(from) && !at.After(to) {
			n++
		}
	}
	return n
}

// firstUnfinished names an unfinished run whose time has come, or "".
func firstUnfinished(runs []rpav1alpha1.RobotRun, now time.Time) string {
	for i := range runs {
		if run := &runs[i]; !run.Status.Phase.Finished() && !run.NotYetDue(now) {
			return run.Name
		}
	}
	return ""
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

// successDueTime is the status's form of when success is due: none for a
// zero time, and whole seconds, as the apiserver stores it, so that a
// timeout of 1.5s does not make the status differ at every reconcile.
func successDueTime(due time.Time) *metav1.Time {
	if due.IsZero() {
		return nil
	}
	t := metav1.NewTime(due.Truncate(time.Second))
	return &t
}
