// Package controllers wires the reconcilers into a manager: the field
// indexes, the metrics, admission, and one controller per concern (robot,
// robotrun, targetsystem, calendar, queuetrigger, queueaccess).
// docs/development.md maps which package answers which question.
package controllers

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/rpa-operator/rpa-operator/controllers/admission"
	"github.com/rpa-operator/rpa-operator/controllers/calendar"
	"github.com/rpa-operator/rpa-operator/controllers/metrics"
	"github.com/rpa-operator/rpa-operator/controllers/queueaccess"
	"github.com/rpa-operator/rpa-operator/controllers/queuetrigger"
	"github.com/rpa-operator/rpa-operator/controllers/refs"
	"github.com/rpa-operator/rpa-operator/controllers/robot"
	"github.com/rpa-operator/rpa-operator/controllers/robotrun"
	"github.com/rpa-operator/rpa-operator/controllers/targetsystem"
)

// Options tune the controllers; zero values take the defaults below (a zero
// ScheduleLead means no lead).
type Options struct {
	// Clock is the controllers' time source; tests inject a fake one.
	Clock clock.PassiveClock
	// Registry is where the metrics are registered; controller-runtime's
	// (served on the manager's metrics endpoint) when nil.
	Registry prometheus.Registerer
	// RunStartDeadline is how long a run's pod waits for a missing Secret
	// (the kubelet reports it) before the run fails with CredentialsNotFound.
	RunStartDeadline time.Duration
	// PodStartDeadline is how long a run's pod may fail to start its
	// container (image pull, container configuration) before the run fails.
	PodStartDeadline time.Duration
	// OrphanRunTTL is how long a finished run of a Robot that does not
	// exist is kept before it is deleted.
	OrphanRunTTL time.Duration
	// RobotWorkers and RunWorkers are how many Robots, resp. RobotRuns,
	// are reconciled at once. A reconcile mostly waits for the apiserver,
	// so more workers mean less lag when many robots share a minute, up to
	// what the apiserver takes (docs/benchmarks.md).
	RobotWorkers, RunWorkers int
	// ScheduleLead is how long before a scheduled time its run is created,
	// for robots whose concurrencyPolicy is not Forbid; the run's Job is
	// still created at the time (docs/schedules.md).
	ScheduleLead time.Duration
}

// Defaults for Options.
const (
	DefaultRunStartDeadline = 10 * time.Minute
	DefaultPodStartDeadline = 5 * time.Minute
	DefaultOrphanRunTTL     = 24 * time.Hour
	DefaultRobotWorkers     = 16
	DefaultRunWorkers       = 16
	DefaultScheduleLead     = 30 * time.Second
)

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.Registry == nil {
		o.Registry = ctrlmetrics.Registry
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
	if o.OrphanRunTTL == 0 {
		o.OrphanRunTTL = DefaultOrphanRunTTL
	}
	return o
}

// Setup registers the field indexes, the metrics and every reconciler with
// the manager.
func Setup(mgr ctrl.Manager, opts Options) error {
	opts = opts.withDefaults()
	if err := refs.Register(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return err
	}
	recorder := metrics.NewRecorder()
	recorder.ReadRobotsFrom(mgr.GetCache(), mgr.Elected())
	if err := recorder.Register(opts.Registry); err != nil {
		return err
	}
	reconcilers := []struct {
		name  string
		setup func(ctrl.Manager) error
	}{
		{"robot", (&robot.Reconciler{
			Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Recorder: mgr.GetEventRecorder("robot-controller"),
			Clock: opts.Clock, Metrics: recorder, Workers: opts.RobotWorkers, ScheduleLead: opts.ScheduleLead,
		}).SetupWithManager},
		{"robotcalendar", (&calendar.Reconciler{
			Client: mgr.GetClient(), Recorder: mgr.GetEventRecorder("robotcalendar-controller"), Clock: opts.Clock,
		}).SetupWithManager},
		{"robotrun", (&robotrun.Reconciler{
			Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Recorder: mgr.GetEventRecorder("robotrun-controller"),
			Clock: opts.Clock, Metrics: recorder, PodStartDeadline: opts.PodStartDeadline, CredentialWait: opts.RunStartDeadline,
			Workers: opts.RunWorkers, OrphanRunTTL: opts.OrphanRunTTL,
			Admission: admission.New(mgr.GetClient(), mgr.GetAPIReader(), opts.Clock),
		}).SetupWithManager},
		{"queuetrigger", (&queuetrigger.Reconciler{
			Client: mgr.GetClient(), Recorder: mgr.GetEventRecorder("queuetrigger-controller"), Clock: opts.Clock,
		}).SetupWithManager},
		{"queueaccess", (&queueaccess.Reconciler{Client: mgr.GetClient()}).SetupWithManager},
		{"targetsystem", (&targetsystem.Reconciler{
			Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Metrics: recorder,
		}).SetupWithManager},
	}
	for _, r := range reconcilers {
		if err := r.setup(mgr); err != nil {
			return fmt.Errorf("set up %s controller: %w", r.name, err)
		}
	}
	return nil
}
