// Package metrics holds the manager's Prometheus metrics: run outcomes,
// schedule lag, when each robot's next success is due, TargetSystem slots,
// and the robot status series read at scrape time. A Recorder is created
// and registered explicitly by the manager's setup; labels are bounded by
// the number of robots and TargetSystems, and run names never become labels.
// docs/monitoring.md describes every series.
package metrics

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// Label names.
const (
	labelNamespace = "namespace"
	labelRobot     = "robot"
	labelPhase     = "phase"
	labelSystem    = "system"
)

const (
	runsFinishedName = "rpa_robotruns_finished_total"
	runsFinishedHelp = "Runs that reached a final phase, by namespace, robot and phase."
)

// finalPhases are the phases a run ends in; their counters start at zero
// for every robot so that the first failure is an increase Prometheus sees.
var finalPhases = []rpav1alpha1.RunPhase{
	rpav1alpha1.PhaseSucceeded, rpav1alpha1.PhaseFailed, rpav1alpha1.PhaseCancelled, rpav1alpha1.PhaseTimedOut,
}

// Recorder records what the reconcilers observe. Its methods are called
// after the status write that made a transition, so each run counts once.
type Recorder struct {
	// runsFinished has no reason label, so that its series can start at
	// zero for every robot and final phase (robotStatus exports the zeros).
	runsFinished   *prometheus.CounterVec
	runFailures    *prometheus.CounterVec
	scheduleLag    *prometheus.HistogramVec
	runDuration    *prometheus.HistogramVec
	itemsProcessed *prometheus.CounterVec
	// successDue comes from the schedules' plans, which are not in the
	// Robot's status; the reconciler sets it.
	successDue *prometheus.GaugeVec

	systemSlotsMax, systemSlotsInUse, systemWaitingRuns *prometheus.GaugeVec
	runQueuedSeconds                                    *prometheus.HistogramVec

	robotStatus *robotStatusCollector
}

// NewRecorder makes the metrics, unregistered.
func NewRecorder() *Recorder {
	runsFinished := prometheus.NewCounterVec(prometheus.CounterOpts{Name: runsFinishedName, Help: runsFinishedHelp},
		[]string{labelNamespace, labelRobot, labelPhase})
	return &Recorder{
		runsFinished: runsFinished,
		runFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rpa_robotruns_failed_total",
			Help: "Runs that ended Failed or TimedOut, by namespace, robot and reason (docs/robots-and-runs.md).",
		}, []string{labelNamespace, labelRobot, "reason"}),
		scheduleLag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rpa_robotrun_schedule_lag_seconds",
			Help: "Time from a scheduled run's scheduled time to its Job's start, by namespace and robot.",
			// 0.25 s to about 4.5 h: normally seconds; a wait for a slot
			// or a Queue policy makes it longer.
			Buckets: prometheus.ExponentialBuckets(0.25, 2, 17),
		}, []string{labelNamespace, labelRobot}),
		runDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rpa_robotrun_duration_seconds",
			Help: "Duration of finished runs from the Job's start to the run's end, by namespace, robot and phase.",
			// 1 s to about 18 h: robots run from seconds to a night's batch.
			Buckets: prometheus.ExponentialBuckets(1, 2.5, 12),
		}, []string{labelNamespace, labelRobot, labelPhase}),
		itemsProcessed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rpa_robotrun_items_total",
			Help: "Work items finished runs reported, by outcome (succeeded, failed, business_exception).",
		}, []string{labelNamespace, labelRobot, "outcome"}),
		successDue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rpa_robot_success_due_timestamp_seconds",
			Help: "When the robot should have succeeded again, in Unix seconds: its schedules' first time after " +
				"the later of their activation and the last success, plus the robot's timeout. Absent for robots " +
				"without an active schedule.",
		}, []string{labelNamespace, labelRobot}),
		systemSlotsMax: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rpa_targetsystem_slots_max",
			Help: "A TargetSystem's maxConcurrentRuns.",
		}, []string{labelSystem}),
		systemSlotsInUse: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rpa_targetsystem_slots_in_use",
			Help: "Runs holding a slot of a TargetSystem.",
		}, []string{labelSystem}),
		systemWaitingRuns: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rpa_targetsystem_waiting_runs",
			Help: "Runs waiting for a slot of a TargetSystem.",
		}, []string{labelSystem}),
		runQueuedSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rpa_robotrun_queued_seconds",
			Help: "Time a run spent waiting for a TargetSystem slot or an exclusive credential before its Job was created, " +
				"by namespace and robot.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200},
		}, []string{labelNamespace, labelRobot}),
		robotStatus: newRobotStatusCollector(runsFinished),
	}
}

// collectors are everything the Recorder registers.
func (m *Recorder) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		m.robotStatus, m.runFailures, m.runDuration, m.scheduleLag, m.itemsProcessed, m.successDue,
		m.systemSlotsMax, m.systemSlotsInUse, m.systemWaitingRuns, m.runQueuedSeconds,
	}
}

// Register registers every metric with reg.
func (m *Recorder) Register(reg prometheus.Registerer) error {
	for _, c := range m.collectors() {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register metrics: %w", err)
		}
	}
	return nil
}

// RunFinished counts a run that has just reached its final phase.
func (m *Recorder) RunFinished(run *rpav1alpha1.RobotRun, reason string) {
	ns, robot, phase := run.Namespace, run.Spec.RobotName, run.Status.Phase
	m.runsFinished.WithLabelValues(ns, robot, string(phase)).Inc()
	if phase == rpav1alpha1.PhaseFailed || phase == rpav1alpha1.PhaseTimedOut {
		m.runFailures.WithLabelValues(ns, robot, reason).Inc()
	}
	if start, end := run.Status.StartTime, run.Status.CompletionTime; start != nil && end != nil {
		m.runDuration.WithLabelValues(ns, robot, string(phase)).Observe(end.Sub(start.Time).Seconds())
	}
	if res := run.Status.Result; res != nil {
		m.addItems(ns, robot, "succeeded", res.ItemsSucceeded)
		m.addItems(ns, robot, "failed", res.ItemsFailed)
		m.addItems(ns, robot, "business_exception", res.BusinessExceptions)
	}
}

func (m *Recorder) addItems(namespace, robot, outcome string, n *int64) {
	if n != nil && *n > 0 {
		m.itemsProcessed.WithLabelValues(namespace, robot, outcome).Add(float64(*n))
	}
}

// RunStarted observes a scheduled run's lag when its Job has just started.
func (m *Recorder) RunStarted(run *rpav1alpha1.RobotRun) {
	scheduled, start := run.Spec.Trigger.ScheduledTime, run.Status.StartTime
	if scheduled == nil || start == nil {
		return
	}
	m.scheduleLag.WithLabelValues(run.Namespace, run.Spec.RobotName).Observe(max(start.Sub(scheduled.Time).Seconds(), 0))
}

// RunQueued observes, when a run that waited for a slot gets its Job, how
// long it waited: from its OrderTime to now.
func (m *Recorder) RunQueued(run *rpav1alpha1.RobotRun, now time.Time) {
	if len(run.Status.WaitingFor) == 0 {
		return
	}
	m.runQueuedSeconds.WithLabelValues(run.Namespace, run.Spec.RobotName).Observe(now.Sub(run.OrderTime()).Seconds())
}

// SuccessDue sets when the robot's next success is due; zero removes it.
func (m *Recorder) SuccessDue(robot *rpav1alpha1.Robot, due time.Time) {
	if due.IsZero() {
		m.successDue.DeleteLabelValues(robot.Namespace, robot.Name)
		return
	}
	m.successDue.WithLabelValues(robot.Namespace, robot.Name).Set(float64(due.Unix()))
}

// ForgetRobot removes a deleted robot's series, its runs' included (its
// status series go with it from the cache).
func (m *Recorder) ForgetRobot(namespace, name string) {
	labels := prometheus.Labels{labelNamespace: namespace, labelRobot: name}
	for _, c := range []interface {
		DeletePartialMatch(prometheus.Labels) int
	}{m.runsFinished, m.runFailures, m.runDuration, m.scheduleLag, m.itemsProcessed, m.successDue, m.runQueuedSeconds} {
		c.DeletePartialMatch(labels)
	}
}

// TargetSystem sets how full a TargetSystem is.
func (m *Recorder) TargetSystem(system string, maxRuns, active, waiting int32) {
	m.systemSlotsMax.WithLabelValues(system).Set(float64(maxRuns))
	m.systemSlotsInUse.WithLabelValues(system).Set(float64(active))
	m.systemWaitingRuns.WithLabelValues(system).Set(float64(waiting))
}

// ForgetTargetSystem removes a deleted TargetSystem's series.
func (m *Recorder) ForgetTargetSystem(system string) {
	m.systemSlotsMax.DeleteLabelValues(system)
	m.systemSlotsInUse.DeleteLabelValues(system)
	m.systemWaitingRuns.DeleteLabelValues(system)
}
