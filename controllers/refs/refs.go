// Package refs knows how the operator's objects refer to each other: the
// field indexes on the manager's cache (a Robot's Secrets, calendars and
// TargetSystems, a run's Robot and what it waits for, a pod's Job), the
// lookups that follow those references, and mapping what an index finds
// to reconcile requests. Reconcilers find related objects here instead of
// scanning a namespace.
package refs

import (
	"context"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// Field index names.
const (
	// RobotCalendar indexes Robots by the RobotCalendars their schedules name.
	RobotCalendar = "spec.schedules.calendar"
	// RobotSystem indexes Robots by the TargetSystems they name.
	RobotSystem = "spec.systems"
	// QueueRobot indexes WorkQueues by the Robot their trigger starts.
	QueueRobot = "spec.trigger.robotName"
	// QueueUser indexes WorkQueues by every Robot that may use them (the
	// trigger's and spec.robots).
	QueueUser = "spec.robots"
	// QueueCalendar indexes WorkQueues by the RobotCalendar they name.
	QueueCalendar = "spec.calendar"
	// RunRobot indexes RobotRuns by the Robot they run.
	RunRobot = "spec.robotName"
	// RunWaitingFor indexes unfinished RobotRuns by what they wait for
	// (status.waitingFor: TargetSystem/<name>, Credential/<secret>).
	RunWaitingFor = "status.waitingFor"
	// PodJob indexes Pods by the Job that controls them.
	PodJob = "metadata.ownerReferences.job"
)

// Indexer is the part of the manager that registers field indexes.
type Indexer interface {
	IndexField(ctx context.Context, obj client.Object, field string, extract client.IndexerFunc) error
}

// Register adds every index the reconcilers use to the manager's cache.
func Register(ctx context.Context, indexer Indexer) error {
	indexes := []struct {
		obj     client.Object
		field   string
		extract client.IndexerFunc
	}{
		{&rpav1alpha1.Robot{}, RobotCalendar, robotCalendars},
		{&rpav1alpha1.Robot{}, RobotSystem, robotSystems},
		{&rpav1alpha1.RobotRun{}, RunRobot, runRobot},
		{&rpav1alpha1.WorkQueue{}, QueueRobot, queueRobot},
		{&rpav1alpha1.WorkQueue{}, QueueUser, queueUsers},
		{&rpav1alpha1.WorkQueue{}, QueueCalendar, queueCalendar},
		{&rpav1alpha1.RobotRun{}, RunWaitingFor, runWaitingFor},
		{&corev1.Pod{}, PodJob, podJob},
	}
	for _, ix := range indexes {
		if err := indexer.IndexField(ctx, ix.obj, ix.field, ix.extract); err != nil {
			return fmt.Errorf("index %T by %s: %w", ix.obj, ix.field, err)
		}
	}
	return nil
}

func queueRobot(obj client.Object) []string {
	wq := obj.(*rpav1alpha1.WorkQueue)
	if wq.Spec.Trigger == nil {
		return nil
	}
	return []string{wq.Spec.Trigger.RobotName}
}

func queueCalendar(obj client.Object) []string {
	if c := obj.(*rpav1alpha1.WorkQueue).Spec.Calendar; c != "" {
		return []string{c}
	}
	return nil
}

func queueUsers(obj client.Object) []string {
	return obj.(*rpav1alpha1.WorkQueue).Spec.RobotNames()
}

func robotCalendars(obj client.Object) []string {
	var names []string
	for _, s := range obj.(*rpav1alpha1.Robot).Spec.Schedules {
		if s.Calendar != "" {
			names = append(names, s.Calendar)
		}
	}
	return names
}

func robotSystems(obj client.Object) []string {
	return obj.(*rpav1alpha1.Robot).Spec.Systems
}

func runRobot(obj client.Object) []string {
	return []string{obj.(*rpav1alpha1.RobotRun).Spec.RobotName}
}

// runWaitingFor is what an unfinished run waits for.
func runWaitingFor(obj client.Object) []string {
	run := obj.(*rpav1alpha1.RobotRun)
	if run.Status.Phase.Finished() {
		return nil
	}
	return run.Status.WaitingFor
}

// podJob is the name of the Job that controls a pod, if any.
func podJob(obj client.Object) []string {
	for _, ref := range obj.GetOwnerReferences() {
		if ref.Kind == "Job" && ref.APIVersion == batchv1.SchemeGroupVersion.String() && ref.Controller != nil && *ref.Controller {
			return []string{ref.Name}
		}
	}
	return nil
}

// RunsOfRobot lists the robot's runs from the cache. The runs are the
// cache's own objects, not copies (a robot with a thousand runs is listed
// on every change of any of them): read them, and DeepCopy one to change it.
func RunsOfRobot(ctx context.Context, c client.Reader, namespace, robot string) ([]rpav1alpha1.RobotRun, error) {
	var runs rpav1alpha1.RobotRunList
	err := c.List(ctx, &runs, client.InNamespace(namespace), client.MatchingFields{RunRobot: robot}, client.UnsafeDisableDeepCopy)
	if err != nil {
		return nil, fmt.Errorf("list runs of robot %s: %w", robot, err)
	}
	return runs.Items, nil
}

// RunsWaitingFor lists the unfinished runs waiting for what (a
// status.waitingFor entry), in namespace or, when it is "", in all.
// The runs are the cache's own objects, as in RunsOfRobot.
func RunsWaitingFor(ctx context.Context, c client.Reader, namespace, what string) ([]rpav1alpha1.RobotRun, error) {
	var runs rpav1alpha1.RobotRunList
	opts := []client.ListOption{client.MatchingFields{RunWaitingFor: what}, client.UnsafeDisableDeepCopy}
	if namespace != "" {
		opts = append(opts, client.InNamespace(namespace))
	}
	if err := c.List(ctx, &runs, opts...); err != nil {
		return nil, fmt.Errorf("list runs waiting for %s: %w", what, err)
	}
	return runs.Items, nil
}

// RobotsReferring lists the Robots in namespace ("" for all) whose index
// field names name.
func RobotsReferring(ctx context.Context, c client.Reader, field, namespace, name string) ([]rpav1alpha1.Robot, error) {
	var robots rpav1alpha1.RobotList
	opts := []client.ListOption{client.MatchingFields{field: name}}
	if namespace != "" {
		opts = append(opts, client.InNamespace(namespace))
	}
	if err := c.List(ctx, &robots, opts...); err != nil {
		return nil, fmt.Errorf("list robots by %s %s: %w", field, name, err)
	}
	return robots.Items, nil
}

// PodsOfJob lists the Job's pods from the cache.
func PodsOfJob(ctx context.Context, c client.Reader, job *batchv1.Job) ([]corev1.Pod, error) {
	var pods corev1.PodList
	if err := c.List(ctx, &pods, client.InNamespace(job.Namespace), client.MatchingFields{PodJob: job.Name}); err != nil {
		return nil, fmt.Errorf("list pods of job %s: %w", job.Name, err)
	}
	return pods.Items, nil
}

// Requests maps objects to reconcile requests for them.
func Requests[T any, PT interface {
	*T
	client.Object
}](objs []T) []reconcile.Request {
	requests := make([]reconcile.Request, 0, len(objs))
	for i := range objs {
		requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(PT(&objs[i]))})
	}
	return requests
}
