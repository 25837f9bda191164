package robot

import (
	"context"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// defaultHistoryLimit is the history limit the CRD defaults to.
const defaultHistoryLimit = 10

// pruneHistory deletes the robot's oldest finished runs beyond its history
// limits (succeeded runs, and failed, timed-out or cancelled runs, counted
// apart; manual runs too) and returns the runs that remain. Deleting a run
// deletes its Job and pods. Pruning is best effort: a failed delete is
// logged and tried again at the next reconcile.
func (r *Reconciler) pruneHistory(ctx context.Context, robot *rpav1alpha1.Robot, runs []rpav1alpha1.RobotRun) []rpav1alpha1.RobotRun {
	kept := make([]rpav1alpha1.RobotRun, 0, len(runs))
	var succeeded, failed []rpav1alpha1.RobotRun
	for _, run := range runs {
		switch {
		case run.DeletionTimestamp != nil:
			// Pruned already, kept by its run record's finalizer until
			// rpa-server has recorded it: no longer history, not deleted twice.
		case run.Status.Phase == rpav1alpha1.PhaseSucceeded:
			succeeded = append(succeeded, run)
		case run.Status.Phase.Finished():
			failed = append(failed, run)
		default:
			kept = append(kept, run)
		}
	}
	kept = append(kept, r.keepNewest(ctx, succeeded, historyLimit(robot.Spec.SuccessfulRunsHistoryLimit))...)
	return append(kept, r.keepNewest(ctx, failed, historyLimit(robot.Spec.FailedRunsHistoryLimit))...)
}

// keepNewest deletes all but the limit most recently finished runs and
// returns those kept.
func (r *Reconciler) keepNewest(ctx context.Context, runs []rpav1alpha1.RobotRun, limit int) []rpav1alpha1.RobotRun {
	if len(runs) <= limit {
		return runs
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].FinishedAfter(&runs[j]) })
	for i := limit; i < len(runs); i++ {
		run := &runs[i]
		err := r.Delete(ctx, run, client.PropagationPolicy("Background"), client.Preconditions{UID: &run.UID})
		if err != nil && !apierrors.IsNotFound(err) {
			log.FromContext(ctx).Error(err, "prune run history", "run", run.Name)
			continue
		}
		log.FromContext(ctx).V(1).Info("pruned run from history", "run", run.Name, "phase", run.Status.Phase)
	}
	return runs[:limit]
}

func historyLimit(limit *int32) int {
	if limit == nil {
		return defaultHistoryLimit
	}
	return int(*limit)
}
