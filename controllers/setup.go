// Package controllers holds the reconcilers that turn Robots and RobotRuns
// into Jobs and keep their status true to what happened.
package controllers

import (
	"context"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// Options tune the controllers; zero values take the defaults below (a zero
// ScheduleLead means no lead).
type Options struct {
	// Clock is the controllers' time source; tests inject a fake one.
	Clock clock.PassiveClock
	// RunStartDeadline is how long a run waits for a missing credential
	// Secret before it fails with CredentialsNotFound.
	RunStartDeadline time.Duration
	// PodStartDeadline is how long a run's pod may fail to start its
	// container (image pull, container configuration) before the run fails.
	PodStartDeadline time.Duration
	// RobotWorkers and RunWorkers are how many Robots, resp. RobotRuns,
	// are reconciled at once. A reconcile mostly waits for the apiserver,
	// so when many robots share a scheduled minute more workers mean less
	// lag, up to what the apiserver takes (docs/benchmarks.md).
	RobotWorkers, RunWorkers int
	// ScheduleLead is how long before a scheduled time its run is created,
	// for robots whose concurrencyPolicy is not Forbid; the run's Job is
	// still created at the time (docs/schedules.md). Zero creates runs at
	// their time. The manager's flag defaults to DefaultScheduleLead.
	ScheduleLead time.Duration
}

// Defaults for Options.
const (
	DefaultRunStartDeadline = 10 * time.Minute
	DefaultPodStartDeadline = 5 * time.Minute
	DefaultRobotWorkers     = 16
	DefaultRunWorkers       = 16
	DefaultScheduleLead     = 30 * time.Second
)

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.RunStartDeadline == 0 {
		o.RunStartDeadline = DefaultRunStartDeadline
	}
	if o.RobotWorkers == 0 {
		o.RobotWorkers = DefaultRobotWorkers
	}
	if o.RunWorkers == 0 {
		o.RunWorkers = DefaultRunWorkers
	}
	if o.PodStartDeadline == 0 {
		o.PodStartDeadline = DefaultPodStartDeadline
	}
	return o
}

// Field indexes on the manager's cache, so that reconcilers look up related
// objects directly instead of scanning a namespace.
const (
	// indexRobotSecretName indexes Robots by the Secrets their credentials name.
	indexRobotSecretName = "spec.credentials.secretName"
	// indexRunRobotName indexes RobotRuns by the Robot they run.
	indexRunRobotName = "spec.robotName"
	// indexPodJob indexes Pods by the Job that owns them.
	indexPodJob = "metadata.ownerReferences.job"
	// indexRunWaitingFor indexes unfinished RobotRuns by what they wait for
	// (status.waitingFor: TargetSystem/<name>, Credential/<secret>).
	indexRunWaitingFor = "status.waitingFor"
	// indexRobotSystem indexes Robots by the TargetSystems they name.
	indexRobotSystem = "spec.systems"
)

// Setup registers the field indexes and every reconciler with the manager.
func Setup(mgr ctrl.Manager, opts Options) error {
	opts = opts.withDefaults()
	if err := registerIndexes(context.Background(), mgr); err != nil {
		return err
	}
	robots := &RobotReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Recorder:  mgr.GetEventRecorder("robot-controller"),
		Clock:     opts.Clock,
		Workers:   opts.RobotWorkers,

		ScheduleLead: opts.ScheduleLead,
	}
	if err := robots.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up robot controller: %w", err)
	}
	robotStatus.readRobotsFrom(mgr.GetCache(), mgr.Elected())
	calendars := &RobotCalendarReconciler{
		Client:   mgr.GetClient(),
		Recorder: mgr.GetEventRecorder("robotcalendar-controller"),
		Clock:    opts.Clock,
	}
	if err := calendars.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up robotcalendar controller: %w", err)
	}
	runs := &RobotRunReconciler{
		Client:           mgr.GetClient(),
		APIReader:        mgr.GetAPIReader(),
		Recorder:         mgr.GetEventRecorder("robotrun-controller"),
		Clock:            opts.Clock,
		StartDeadline:    opts.RunStartDeadline,
		PodStartDeadline: opts.PodStartDeadline,
		Workers:          opts.RunWorkers,
	}
	if err := runs.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up robotrun controller: %w", err)
	}
	systems := &TargetSystemReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
	}
	if err := systems.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up targetsystem controller: %w", err)
	}
	return nil
}

func registerIndexes(ctx context.Context, mgr ctrl.Manager) error {
	indexer := mgr.GetFieldIndexer()
	if err := indexer.IndexField(ctx, &rpav1alpha1.Robot{}, indexRobotSecretName, robotSecretNames); err != nil {
		return fmt.Errorf("index robots by credential secret: %w", err)
	}
	if err := indexer.IndexField(ctx, &rpav1alpha1.Robot{}, indexRobotCalendarName, robotCalendarNames); err != nil {
		return fmt.Errorf("index robots by calendar: %w", err)
	}
	if err := indexer.IndexField(ctx, &rpav1alpha1.RobotRun{}, indexRunRobotName, runRobotName); err != nil {
		return fmt.Errorf("index runs by robot: %w", err)
	}
	if err := indexer.IndexField(ctx, &corev1.Pod{}, indexPodJob, podJobName); err != nil {
		return fmt.Errorf("index pods by job: %w", err)
	}
	if err := indexer.IndexField(ctx, &rpav1alpha1.RobotRun{}, indexRunWaitingFor, runWaitingFor); err != nil {
		return fmt.Errorf("index runs by what they wait for: %w", err)
	}
	if err := indexer.IndexField(ctx, &rpav1alpha1.Robot{}, indexRobotSystem, robotSystems); err != nil {
		return fmt.Errorf("index robots by target system: %w", err)
	}
	return nil
}

// runWaitingFor is what an unfinished run waits for.
func runWaitingFor(obj client.Object) []string {
	run := obj.(*rpav1alpha1.RobotRun)
	if run.Status.Phase.Finished() {
		return nil
	}
	return run.Status.WaitingFor
}

func robotSystems(obj client.Object) []string {
	return obj.(*rpav1alpha1.Robot).Spec.Systems
}

// robotSecretNames lists the Secrets a Robot's credentials refer to.
func robotSecretNames(obj client.Object) []string {
	robot := obj.(*rpav1alpha1.Robot)
	names := make([]string, 0, len(robot.Spec.Credentials))
	for _, c := range robot.Spec.Credentials {
		names = append(names, c.SecretName)
	}
	return names
}

func runRobotName(obj client.Object) []string {
	return []string{obj.(*rpav1alpha1.RobotRun).Spec.RobotName}
}

// podJobName is the name of the Job that controls a pod, if any.
func podJobName(obj client.Object) []string {
	for _, ref := range obj.GetOwnerReferences() {
		if ref.Kind == "Job" && ref.APIVersion == batchv1.SchemeGroupVersion.String() && ref.Controller != nil && *ref.Controller {
			return []string{ref.Name}
		}
	}
	return nil
}
