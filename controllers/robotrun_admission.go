package controllers

import (
	"context"
	"fmt"
	"slices"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
)

// AnnotationReplacedBy on a run names the newer run that cancelled it under
// concurrencyPolicy Replace.
const AnnotationReplacedBy = "rpa.dev/replaced-by"

// admit decides whether a run may start now under its robot's concurrency
// policy (docs/schedules.md). It returns "" when it may, or what the run
// waits for.
//
// Whether another run is still executing is read from the apiserver, not the
// cache: a Job created a moment ago by an earlier reconcile must count, or
// two runs of a Forbid robot could start together. Waiting runs go in
// creation order.
func (r *RobotRunReconciler) admit(ctx context.Context, run *rpav1alpha1.RobotRun, robot *rpav1alpha1.Robot) (string, error) {
	policy := robot.Spec.ConcurrencyPolicy
	if policy == rpav1alpha1.ConcurrencyAllow {
		return "", nil
	}
	runs, err := r.runsOfRobot(ctx, run.Namespace, robot.Name)
	if err != nil {
		return "", err
	}
	if policy == rpav1alpha1.ConcurrencyReplace {
		if err := r.replaceEarlierRuns(ctx, run, runs); err != nil {
			return "", err
		}
	}
	robotJobs, err := r.jobsOfRobot(ctx, run.Namespace, robot.Name)
	if err != nil {
		return "", err
	}
	if earlier := earlierWaitingRun(run, runs, robotJobs); earlier != "" {
		return fmt.Sprintf("run %s was created earlier and starts first (concurrencyPolicy %s)", earlier, policy), nil
	}
	executing, err := r.executingRun(ctx, run, robot.Name, robotJobs)
	if err != nil || executing == "" {
		return "", err
	}
	return fmt.Sprintf("run %s has not finished; this run starts when it has (concurrencyPolicy %s)", executing, policy), nil
}

// runsOfRobot lists the robot's runs from the cache.
func (r *RobotRunReconciler) runsOfRobot(ctx context.Context, namespace, robot string) ([]rpav1alpha1.RobotRun, error) {
	var runs rpav1alpha1.RobotRunList
	if err := r.List(ctx, &runs, client.InNamespace(namespace), client.MatchingFields{indexRunRobotName: robot}); err != nil {
		return nil, fmt.Errorf("list runs of robot %s: %w", robot, err)
	}
	return runs.Items, nil
}

// replaceEarlierRuns cancels the robot's unfinished runs created before run.
func (r *RobotRunReconciler) replaceEarlierRuns(ctx context.Context, run *rpav1alpha1.RobotRun, runs []rpav1alpha1.RobotRun) error {
	for i := range runs {
		other := &runs[i]
		if other.UID == run.UID || other.Status.Phase.Finished() || other.Spec.Cancel || !createdAfter(run, other) {
			continue
		}
		base := other.DeepCopy()
		other.Spec.Cancel = true
		if other.Annotations == nil {
			other.Annotations = map[string]string{}
		}
		other.Annotations[AnnotationReplacedBy] = run.Name
		if err := r.Patch(ctx, other, client.MergeFrom(base)); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("cancel run %s replaced by %s: %w", other.Name, run.Name, err)
		}
		log.FromContext(ctx).Info("replacing run", "replaced", other.Name)
	}
	return nil
}

// earlierWaitingRun names an unfinished run of the robot, created before
// run, that has not started its Job either: it goes first. A run whose Job
// is among the robot's Jobs has started even while its status does not say
// so yet (Jobs first writes the status after the Job).
func earlierWaitingRun(run *rpav1alpha1.RobotRun, runs []rpav1alpha1.RobotRun, robotJobs []batchv1.Job) string {
	for i := range runs {
		other := &runs[i]
		if other.UID != run.UID && !other.Status.Phase.Finished() && other.Status.JobName == "" && createdAfter(run, other) &&
			!hasJobOf(robotJobs, other.Name) {
			return other.Name
		}
	}
	return ""
}

func hasJobOf(robotJobs []batchv1.Job, run string) bool {
	return slices.ContainsFunc(robotJobs, func(job batchv1.Job) bool { return job.Name == jobs.JobName(run) })
}

// jobsOfRobot lists the robot's Jobs from the apiserver, not the cache: a
// Job created a moment ago by an earlier reconcile must count.
func (r *RobotRunReconciler) jobsOfRobot(ctx context.Context, namespace, robot string) ([]batchv1.Job, error) {
	var jobList batchv1.JobList
	if err := r.APIReader.List(ctx, &jobList, client.InNamespace(namespace), ofRobot(robot)); err != nil {
		return nil, fmt.Errorf("list jobs of robot %s: %w", robot, err)
	}
	return jobList.Items, nil
}

// executingRun names a run of the robot other than run whose Job (among
// robotJobs) has not finished or whose pod is still there and not stopped,
// asking the apiserver for the pods; "" when there is none.
func (r *RobotRunReconciler) executingRun(ctx context.Context, run *rpav1alpha1.RobotRun, robot string, robotJobs []batchv1.Job) (string, error) {
	for _, job := range robotJobs {
		if job.Name != jobs.JobName(run.Name) && !jobFinished(&job) {
			return job.Annotations[jobs.AnnotationRunName], nil
		}
	}
	// A cancelled run's Job is gone at once, but its pod may still be in its
	// grace period, finishing the current item.
	var pods corev1.PodList
	if err := r.APIReader.List(ctx, &pods, client.InNamespace(run.Namespace), ofRobot(robot)); err != nil {
		return "", fmt.Errorf("list pods of robot %s: %w", robot, err)
	}
	for _, pod := range pods.Items {
		if pod.Annotations[jobs.AnnotationRunName] != run.Name && pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed {
			return pod.Annotations[jobs.AnnotationRunName], nil
		}
	}
	return "", nil
}

// ofRobot selects the Jobs and pods the operator made for the robot.
func ofRobot(robot string) client.MatchingLabels {
	return client.MatchingLabels{jobs.LabelRobot: robot, jobs.LabelManagedBy: jobs.ManagedBy}
}

func jobFinished(job *batchv1.Job) bool {
	for _, c := range job.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// cancelOutcome is the reason and message of a cancelled run: Replaced when
// a newer run cancelled it.
func cancelOutcome(run *rpav1alpha1.RobotRun, message string) (string, string) {
	if by := run.Annotations[AnnotationReplacedBy]; by != "" {
		return rpav1alpha1.ReasonReplaced, fmt.Sprintf("replaced by run %s (concurrencyPolicy Replace); %s", by, message)
	}
	return rpav1alpha1.ReasonCancelled, message
}
