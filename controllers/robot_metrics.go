package controllers

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// Metrics of a robot as a whole: how its schedules fare and whether it
// succeeds as often as they expect. They are set after the Robot's status
// write, from what was written, so a conflict that recomputes the status
// counts nothing twice.
var (
	scheduleMissed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rpa_robot_schedule_missed_total",
		Help: "Scheduled times that got no run: the operator was down, or the time was past startingDeadlineSeconds.",
	}, []string{labelNamespace, labelRobot})
	scheduleSkipped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rpa_robot_schedule_skipped_total",
		Help: "Scheduled times skipped under concurrencyPolicy Forbid because a run had not finished.",
	}, []string{labelNamespace, labelRobot})
	lastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "rpa_robot_last_success_timestamp_seconds",
		Help: "When the robot's last successful run ended, in Unix seconds.",
	}, []string{labelNamespace, labelRobot})
	successDue = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "rpa_robot_success_due_timestamp_seconds",
		Help: "When the robot should have succeeded again, in Unix seconds: its schedules' first time after " +
			"the later of their activation and the last success, plus the robot's timeout. Absent for robots " +
			"without an active schedule.",
	}, []string{labelNamespace, labelRobot})
)

// finalPhases are the phases a run ends in; their counters start at zero
// for every robot so that the first failure is an increase Prometheus sees.
var finalPhases = []rpav1alpha1.RunPhase{
	rpav1alpha1.PhaseSucceeded, rpav1alpha1.PhaseFailed, rpav1alpha1.PhaseCancelled, rpav1alpha1.PhaseTimedOut,
}

func init() {
	own := []prometheus.Collector{scheduleMissed, scheduleSkipped, lastSuccess, successDue}
	metrics.Registry.MustRegister(own...)
	collectors = append(collectors, own...)
}

// recordRobotMetrics sets a robot's series from the status just written
// over the one read (robot.Status) and the schedules' success due time.
func recordRobotMetrics(robot *rpav1alpha1.Robot, written *rpav1alpha1.RobotStatus, due time.Time) {
	ns, name := robot.Namespace, robot.Name
	for _, phase := range finalPhases {
		runsFinished.WithLabelValues(ns, name, string(phase))
	}
	activeRuns.WithLabelValues(ns, name).Set(float64(written.ActiveRuns))
	scheduleMissed.WithLabelValues(ns, name).Add(float64(max(written.MissedRuns-robot.Status.MissedRuns, 0)))
	scheduleSkipped.WithLabelValues(ns, name).Add(float64(max(written.SkippedRuns-robot.Status.SkippedRuns, 0)))
	if t := written.LastSuccessfulTime; t != nil {
		lastSuccess.WithLabelValues(ns, name).Set(float64(t.Unix()))
	}
	if due.IsZero() {
		successDue.DeleteLabelValues(ns, name)
	} else {
		successDue.WithLabelValues(ns, name).Set(float64(due.Unix()))
	}
}

// forgetRobotMetrics removes a deleted robot's series, its runs' included.
func forgetRobotMetrics(namespace, name string) {
	labels := prometheus.Labels{labelNamespace: namespace, labelRobot: name}
	for _, c := range []interface {
		DeletePartialMatch(prometheus.Labels) int
	}{runsFinished, runFailures, runDuration, scheduleLag, activeRuns, itemsProcessed,
		scheduleMissed, scheduleSkipped, lastSuccess, successDue, runQueuedSeconds} {
		c.DeletePartialMatch(labels)
	}
}
