package controllers

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// successDue is a robot's only series the reconciler sets: when its next
// success is due comes from its schedules' plans, which are not in its
// status. The others come from the status at scrape time
// (robotStatusMetrics).
var successDue = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "rpa_robot_success_due_timestamp_seconds",
	Help: "When the robot should have succeeded again, in Unix seconds: its schedules' first time after " +
		"the later of their activation and the last success, plus the robot's timeout. Absent for robots " +
		"without an active schedule.",
}, []string{labelNamespace, labelRobot})

// finalPhases are the phases a run ends in; their counters start at zero
// for every robot so that the first failure is an increase Prometheus sees.
var finalPhases = []rpav1alpha1.RunPhase{
	rpav1alpha1.PhaseSucceeded, rpav1alpha1.PhaseFailed, rpav1alpha1.PhaseCancelled, rpav1alpha1.PhaseTimedOut,
}

func init() {
	metrics.Registry.MustRegister(successDue)
	collectors = append(collectors, successDue)
}

// recordSuccessDue sets when the robot's next success is due, after the
// Robot's status write.
func recordSuccessDue(robot *rpav1alpha1.Robot, due time.Time) {
	if due.IsZero() {
		successDue.DeleteLabelValues(robot.Namespace, robot.Name)
		return
	}
	successDue.WithLabelValues(robot.Namespace, robot.Name).Set(float64(due.Unix()))
}

// forgetRobotMetrics removes a deleted robot's series, its runs' included.
// (Its status series go with it from the cache.)
func forgetRobotMetrics(namespace, name string) {
	labels := prometheus.Labels{labelNamespace: namespace, labelRobot: name}
	for _, c := range []interface {
		DeletePartialMatch(prometheus.Labels) int
	}{runsFinished, runFailures, runDuration, scheduleLag, itemsProcessed, successDue, runQueuedSeconds} {
		c.DeletePartialMatch(labels)
	}
}
