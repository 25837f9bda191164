package robotrun

import (
	"context"
	"errors"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/refs"
	"github.com/rpa-operator/rpa-operator/controllers/runstatus"
)

// followJob reports the Job's progress, stops it when the run is cancelled
// or cannot start, and says when to look again if nothing else will trigger
// a reconcile.
func (r *Reconciler) followJob(ctx context.Context, run *rpav1alpha1.RobotRun, job *batchv1.Job,
	next *rpav1alpha1.RobotRunStatus) (time.Duration, error) {
	pods, err := refs.PodsOfJob(ctx, r.Client, job)
	if err != nil {
		return 0, err
	}
	now := r.Clock.Now()
	opts := runstatus.Options{PodStartDeadline: r.PodStartDeadline, CredentialWait: r.CredentialWait}
	obs := runstatus.Observe(job, pods, now, opts)
	if obs.ReadsMountFailures(now) {
		messages, err := r.failedMounts(ctx, job.Namespace, obs.PodName)
		if err != nil {
			return 0, err
		}
		obs.NoteFailedMounts(messages, now, opts)
	}
	applyObservation(next, obs)
	// The Job of a run that ends here is deleted after the final status is
	// written (release): deleted first, a conflict on the status write
	// would report JobDeleted instead of the real reason.
	if run.Spec.Cancel && !obs.Phase.Finished() {
		reason, message := cancelOutcome(run, "the run was cancelled; the robot was sent SIGTERM and its grace period")
		finish(next, rpav1alpha1.PhaseCancelled, reason, message, r.Clock.Now())
		return 0, nil
	}
	if at, ok := obs.RecheckAt(now, opts); ok {
		return max(at.Sub(now), time.Second), nil
	}
	return 0, nil
}

// failedMounts returns the messages of the pod's FailedMount Events, read
// from the apiserver: the manager caches no Events, and cannot read
// Secrets, so this is how it learns that a mounted Secret is missing.
func (r *Reconciler) failedMounts(ctx context.Context, namespace, pod string) ([]string, error) {
	var events corev1.EventList
	err := r.APIReader.List(ctx, &events, client.InNamespace(namespace), client.MatchingFields{
		"involvedObject.kind": "Pod", "involvedObject.name": pod, "reason": "FailedMount",
	})
	if err != nil {
		return nil, fmt.Errorf("list mount failures of pod %s: %w", pod, err)
	}
	messages := make([]string, 0, len(events.Items))
	for _, e := range events.Items {
		messages = append(messages, e.Message)
	}
	return messages, nil
}

// jobLost fails a run whose Job was deleted by someone else before it
// finished: creating a second Job could run the robot twice.
func (r *Reconciler) jobLost(run *rpav1alpha1.RobotRun, next *rpav1alpha1.RobotRunStatus) {
	if run.Spec.Cancel {
		reason, message := cancelOutcome(run, "the run was cancelled")
		finish(next, rpav1alpha1.PhaseCancelled, reason, message, r.Clock.Now())
		return
	}
	finish(next, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonJobDeleted,
		fmt.Sprintf("the run's Job %s was deleted before it finished; the run is not restarted, to avoid running the robot twice", run.Status.JobName),
		r.Clock.Now())
}

// stopUnfinishedJob deletes the run's Job unless it has completed or
// failed: those stay, with their pods, as the run's history. The pods are
// deleted gracefully (SIGTERM, then the grace period) by the garbage
// collector.
func (r *Reconciler) stopUnfinishedJob(ctx context.Context, run *rpav1alpha1.RobotRun) error {
	if run.Status.JobName == "" {
		return nil
	}
	job, err := r.jobOf(ctx, run)
	if errors.As(err, new(errJobNameTaken)) {
		return nil // someone else's Job: not the run's to stop
	}
	if err != nil || job == nil || runstatus.JobFinished(job) || job.DeletionTimestamp != nil {
		return err
	}
	log.FromContext(ctx).Info("stopping the job of a finished run", "job", job.Name, "phase", run.Status.Phase)
	err = r.Delete(ctx, job, client.PropagationPolicy(metav1.DeletePropagationBackground))
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete job %s: %w", job.Name, err)
	}
	return nil
}
