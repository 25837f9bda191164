package robotrun

import (
	"context"
	"time"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/scheduledrun"
)

// untilDue is how long a scheduled run created ahead of its time still
// waits for it; zero once the time has come. Until then the run controller
// leaves it alone: no status write, no Job.
func untilDue(run *rpav1alpha1.RobotRun, now time.Time) time.Duration {
	if !run.NotYetDue(now) {
		return 0
	}
	return run.Spec.Trigger.ScheduledTime.Sub(now)
}

// withdrawIfUnwanted deletes a run created ahead of its time when, at the
// run controller's first look once that time has come, the robot's
// schedule no longer has that time: a change that reached the cache only
// at the instant (the Robot controller withdraws such runs before their
// time, calendars included). A run that is merely late is not withdrawn.
func (r *Reconciler) withdrawIfUnwanted(ctx context.Context, run *rpav1alpha1.RobotRun, robot *rpav1alpha1.Robot) (bool, error) {
	if robot == nil || !run.CreatedAheadAndWaiting() {
		return false, nil
	}
	why := scheduledrun.UnwantedBecause(robot, run)
	if why == "" {
		return false, nil
	}
	return true, scheduledrun.Withdraw(ctx, r.Client, r.Recorder, robot, run, why)
}
