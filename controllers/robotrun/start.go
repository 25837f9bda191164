package robotrun

import (
	"context"
	"fmt"
	"slices"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/admission"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
	"github.com/rpa-operator/rpa-operator/controllers/refs"
)

// startRun checks that the run can start, asks admission, and creates its
// Job. Problems a person must fix end the run or keep it waiting with a
// reason; they are not returned as errors, which would only retry the same
// failure.
func (r *Reconciler) startRun(ctx context.Context, run *rpav1alpha1.RobotRun, robot *rpav1alpha1.Robot,
	next *rpav1alpha1.RobotRunStatus) (time.Duration, error) {
	now := r.Clock.Now()
	robot, args, err := r.runnable(ctx, run, robot, next, now)
	if err != nil || robot == nil {
		return 0, err
	}
	decision, unlock, err := r.Admission.Admit(ctx, run, robot)
	defer unlock()
	if err != nil {
		return 0, err
	}
	if !decision.Admitted {
		applyDecision(next, decision, now)
		return decision.RecheckAfter, nil
	}
	next.Priority = *decision.Priority
	if err := r.createJob(ctx, run, robot, args, next); err != nil {
		return 0, err
	}
	if next.JobName != "" {
		r.Metrics.RunQueued(run, now)
		next.WaitingFor = nil
	}
	return 0, nil
}

// applyDecision records in next why admission did not let the run start.
// A decision without a phase (a ledger changed meanwhile) changes nothing
// but the priority: the run decides again shortly.
func applyDecision(next *rpav1alpha1.RobotRunStatus, d admission.Decision, now time.Time) {
	if d.Priority != nil {
		next.Priority = *d.Priority
	}
	switch d.Phase {
	case "":
		return
	case rpav1alpha1.PhaseFailed:
		finish(next, d.Phase, d.Reason, d.Message, now)
	default:
		next.Phase = d.Phase
		setOutcome(next, d.Reason, d.Message)
	}
	next.WaitingFor = d.WaitingFor
}

// runnable returns the run's robot and resolved arguments when the run may
// go on to admission. A nil robot means the run has ended or waits, as
// next now says: it was cancelled, its robot does not exist or is
// suspended, or its arguments do not fit the robot's parameters.
func (r *Reconciler) runnable(ctx context.Context, run *rpav1alpha1.RobotRun, cached *rpav1alpha1.Robot,
	next *rpav1alpha1.RobotRunStatus, now time.Time) (*rpav1alpha1.Robot, map[string]string, error) {
	if run.Spec.Cancel {
		reason, message := cancelOutcome(run, "the run was cancelled before it started")
		finish(next, rpav1alpha1.PhaseCancelled, reason, message, now)
		return nil, nil, nil
	}
	robot, args, err := r.confirmRobot(ctx, run, cached)
	switch {
	case err != nil:
		return nil, nil, err
	case robot == nil:
		finish(next, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonRobotNotFound,
			fmt.Sprintf("robot %q does not exist in namespace %s", run.Spec.RobotName, run.Namespace), now)
		return nil, nil, nil
	case args == nil:
		_, argErr := jobs.ResolveArguments(robot.Spec.Parameters, run.Spec.Arguments)
		finish(next, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonInvalidArguments, argErr.Error(), now)
		return nil, nil, nil
	}
	if robot.Spec.Suspend {
		next.Phase = rpav1alpha1.PhasePending
		setOutcome(next, rpav1alpha1.ReasonRobotSuspended, "the robot is suspended; the run starts when it is resumed")
		return nil, nil, nil
	}
	return robot, args, nil
}

// confirmRobot returns the run's robot and resolved arguments. RobotNotFound
// and InvalidArguments end a run for good, so before either is decided the
// robot is read again from the apiserver: a robot created or edited a moment
// before the run may not be in the cache yet. A nil robot means it does not
// exist; nil arguments mean they do not fit its parameters.
func (r *Reconciler) confirmRobot(ctx context.Context, run *rpav1alpha1.RobotRun,
	cached *rpav1alpha1.Robot) (*rpav1alpha1.Robot, map[string]string, error) {
	if cached != nil {
		if args, err := jobs.ResolveArguments(cached.Spec.Parameters, run.Spec.Arguments); err == nil {
			return cached, args, nil
		}
	}
	live := &rpav1alpha1.Robot{}
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: run.Namespace, Name: run.Spec.RobotName}, live)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil, nil
	case err != nil:
		return nil, nil, fmt.Errorf("get robot %s: %w", run.Spec.RobotName, err)
	}
	args, err := jobs.ResolveArguments(live.Spec.Parameters, run.Spec.Arguments)
	if err != nil {
		return live, nil, nil
	}
	return live, args, nil
}

// usesQueue tells a run that calls the work-item API: started by a
// WorkQueue's trigger, or of a Robot a WorkQueue names.
func (r *Reconciler) usesQueue(ctx context.Context, run *rpav1alpha1.RobotRun) (bool, error) {
	if run.Spec.Trigger.Type == rpav1alpha1.TriggerQueue {
		return true, nil
	}
	var queues rpav1alpha1.WorkQueueList
	if err := r.List(ctx, &queues, client.InNamespace(run.Namespace), client.MatchingFields{refs.QueueUser: run.Spec.RobotName},
		client.UnsafeDisableDeepCopy); err != nil {
		return false, fmt.Errorf("list the queues of robot %s: %w", run.Spec.RobotName, err)
	}
	return len(queues.Items) > 0, nil
}

// createJob creates the run's Job. The name is derived from the run's, so
// AlreadyExists means an earlier reconcile created it: that is success.
func (r *Reconciler) createJob(ctx context.Context, run *rpav1alpha1.RobotRun, robot *rpav1alpha1.Robot,
	args map[string]string, next *rpav1alpha1.RobotRunStatus) error {
	queueAccess, err := r.usesQueue(ctx, run)
	if err != nil {
		return err
	}
	job, err := jobs.Build(robot, run, args, queueAccess)
	if err != nil {
		return fmt.Errorf("build job for run %s: %w", run.Name, err)
	}
	err = r.Create(ctx, job)
	switch {
	case apierrors.IsInvalid(err) || apierrors.IsForbidden(err):
		finish(next, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonJobRejected,
			fmt.Sprintf("the apiserver rejected the run's Job: %v", err), r.Clock.Now())
		return nil
	case apierrors.IsAlreadyExists(err):
		// Created by an earlier reconcile, or someone else's Job: the
		// cache holds only the operator's Jobs, so ask the apiserver.
		existing := &batchv1.Job{}
		if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(job), existing); err != nil {
			return fmt.Errorf("get job of run %s: %w", run.Name, err)
		}
		if !metav1.IsControlledBy(existing, run) {
			return errJobNameTaken{job: job.Name}
		}
	case err != nil:
		return fmt.Errorf("create job for run %s: %w", run.Name, err)
	}
	log.FromContext(ctx).Info("job created", "job", job.Name, "robotGeneration", robot.Generation)
	next.Phase, next.JobName = rpav1alpha1.PhasePending, job.Name
	next.RobotGeneration, next.Image = robot.Generation, robot.Spec.Template.Image
	describeAccess(next, robot)
	setOutcome(next, rpav1alpha1.ReasonJobCreated, "the Job was created; waiting for its pod")
	return nil
}

// describeAccess writes into the status the credentials and systems the
// Robot gave the run's Job, for the run records: names and accounts only.
func describeAccess(next *rpav1alpha1.RobotRunStatus, robot *rpav1alpha1.Robot) {
	next.Credentials = nil
	for _, c := range robot.Spec.Credentials {
		next.Credentials = append(next.Credentials, rpav1alpha1.RunCredential{Name: c.Name, SecretName: c.SecretName, Account: c.Account})
	}
	next.Systems = slices.Clone(robot.Spec.Systems)
}
