package admission

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
	"github.com/rpa-operator/rpa-operator/controllers/refs"
	"github.com/rpa-operator/rpa-operator/controllers/runstatus"
)

var logFrom = log.FromContext

// concurrency applies the robot's concurrency policy (docs/schedules.md):
// under Forbid, Queue and Replace a run starts only when no other run of
// its robot executes and none created before it waits; under Replace it
// first cancels the earlier unfinished runs. Whether another run executes
// is read from the apiserver, not the cache: a Job created a moment ago
// must count, or two runs could start together.
func (a *Admitter) concurrency(ctx context.Context, run *rpav1alpha1.RobotRun, robot *rpav1alpha1.Robot) (Decision, error) {
	policy := robot.Spec.ConcurrencyPolicy
	if policy == rpav1alpha1.ConcurrencyAllow {
		return Decision{Admitted: true}, nil
	}
	runs, err := refs.RunsOfRobot(ctx, a.Client, run.Namespace, robot.Name)
	if err != nil {
		return Decision{}, err
	}
	if policy == rpav1alpha1.ConcurrencyReplace {
		if err := a.replaceEarlierRuns(ctx, run, runs); err != nil {
			return Decision{}, err
		}
	}
	robotJobs, err := a.jobsOfRobot(ctx, run.Namespace, robot.Name)
	if err != nil {
		return Decision{}, err
	}
	if earlier := EarlierWaitingRun(run, runs, robotJobs); earlier != "" {
		return waitForRun(fmt.Sprintf("run %s was created earlier and starts first (concurrencyPolicy %s)", earlier, policy)), nil
	}
	executing, err := a.executingRun(ctx, run, robot.Name, robotJobs)
	if err != nil || executing == "" {
		return Decision{Admitted: err == nil}, err
	}
	return waitForRun(fmt.Sprintf("run %s has not finished; this run starts when it has (concurrencyPolicy %s)", executing, policy)), nil
}

func waitForRun(message string) Decision {
	return Decision{Phase: rpav1alpha1.PhaseQueued, Reason: rpav1alpha1.ReasonWaitingForRun, Message: message}
}

// replaceEarlierRuns cancels the robot's unfinished runs created before run.
func (a *Admitter) replaceEarlierRuns(ctx context.Context, run *rpav1alpha1.RobotRun, runs []rpav1alpha1.RobotRun) error {
	for i := range runs {
		cached := &runs[i]
		if cached.UID == run.UID || cached.Status.Phase.Finished() || cached.Spec.Cancel || !run.CreatedAfter(cached) {
			continue
		}
		other := cached.DeepCopy()
		other.Spec.Cancel = true
		if other.Annotations == nil {
			other.Annotations = map[string]string{}
		}
		other.Annotations[rpav1alpha1.AnnotationReplacedBy] = run.Name
		if err := a.Client.Patch(ctx, other, client.MergeFrom(cached)); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("cancel run %s replaced by %s: %w", other.Name, run.Name, err)
		}
		logFrom(ctx).Info("replacing run", "replaced", other.Name)
	}
	return nil
}

// EarlierWaitingRun names an unfinished run of the robot, created before
// run, that has not started its Job either: it goes first. A run whose Job
// is among the robot's Jobs has started even while its status does not say
// so yet (the run controller writes the status after the Job).
func EarlierWaitingRun(run *rpav1alpha1.RobotRun, runs []rpav1alpha1.RobotRun, robotJobs []batchv1.Job) string {
	for i := range runs {
		other := &runs[i]
		if other.UID != run.UID && !other.Status.Phase.Finished() && other.Status.JobName == "" && run.CreatedAfter(other) &&
			!hasJobOf(robotJobs, other.Name) {
			return other.Name
		}
	}
	return ""
}

func hasJobOf(robotJobs []batchv1.Job, run string) bool {
	return slices.ContainsFunc(robotJobs, func(job batchv1.Job) bool { return job.Name == jobs.JobName(run) })
}

// jobsOfRobot lists the robot's Jobs from the apiserver, not the cache.
func (a *Admitter) jobsOfRobot(ctx context.Context, namespace, robot string) ([]batchv1.Job, error) {
	var jobList batchv1.JobList
	if err := a.APIReader.List(ctx, &jobList, client.InNamespace(namespace), ofRobot(robot)); err != nil {
		return nil, fmt.Errorf("list jobs of robot %s: %w", robot, err)
	}
	return jobList.Items, nil
}

// executingRun names a run of the robot other than run whose Job (among
// robotJobs) has not finished or whose pod is still there and not stopped,
// asking the apiserver for the pods; "" when there is none.
func (a *Admitter) executingRun(ctx context.Context, run *rpav1alpha1.RobotRun, robot string, robotJobs []batchv1.Job) (string, error) {
	for i := range robotJobs {
		job := &robotJobs[i]
		if job.Name != jobs.JobName(run.Name) && !runstatus.JobFinished(job) {
			return job.Annotations[rpav1alpha1.AnnotationRunName], nil
		}
	}
	// A cancelled run's Job is gone at once, but its pod may still be in its
	// grace period, finishing the current item.
	var pods corev1.PodList
	if err := a.APIReader.List(ctx, &pods, client.InNamespace(run.Namespace), ofRobot(robot)); err != nil {
		return "", fmt.Errorf("list pods of robot %s: %w", robot, err)
	}
	for _, pod := range pods.Items {
		if pod.Annotations[rpav1alpha1.AnnotationRunName] != run.Name && pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed {
			return pod.Annotations[rpav1alpha1.AnnotationRunName], nil
		}
	}
	return "", nil
}

// ofRobot selects the Jobs and pods the operator made for the robot.
func ofRobot(robot string) client.MatchingLabels {
	return client.MatchingLabels{rpav1alpha1.LabelRobot: robot, rpav1alpha1.LabelManagedBy: rpav1alpha1.ManagedBy}
}
