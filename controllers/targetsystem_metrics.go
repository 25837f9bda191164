package controllers

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// Metrics of shared TargetSystems: how full each is and how long runs
// wait for a slot. Labels are bounded by the number of TargetSystems and
// robots.
// labelSystem is the TargetSystem's name.
const labelSystem = "system"

var (
	systemSlotsMax = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "rpa_targetsystem_slots_max",
		Help: "A TargetSystem's maxConcurrentRuns.",
	}, []string{labelSystem})
	systemSlotsInUse = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "rpa_targetsystem_slots_in_use",
		Help: "Runs holding a slot of a TargetSystem.",
	}, []string{labelSystem})
	systemWaitingRuns = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "rpa_targetsystem_waiting_runs",
		Help: "Runs waiting for a slot of a TargetSystem.",
	}, []string{labelSystem})
	runQueuedSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "rpa_robotrun_queued_seconds",
		Help:    "Time a run spent waiting for a TargetSystem slot or an exclusive credential before its Job was created, by namespace and robot.",
		Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200},
	}, []string{labelNamespace, labelRobot})
)

func init() {
	own := []prometheus.Collector{systemSlotsMax, systemSlotsInUse, systemWaitingRuns, runQueuedSeconds}
	metrics.Registry.MustRegister(own...)
	// ExportedMetrics lists them too, for the alert and dashboard checks.
	collectors = append(collectors, own...)
}

func recordSystemMetrics(system string, maxRuns, active, waiting int32) {
	systemSlotsMax.WithLabelValues(system).Set(float64(maxRuns))
	systemSlotsInUse.WithLabelValues(system).Set(float64(active))
	systemWaitingRuns.WithLabelValues(system).Set(float64(waiting))
}

// forgetSystemMetrics removes a deleted TargetSystem's series.
func forgetSystemMetrics(system string) {
	systemSlotsMax.DeleteLabelValues(system)
	systemSlotsInUse.DeleteLabelValues(system)
	systemWaitingRuns.DeleteLabelValues(system)
}

// recordQueuedTime observes, when a run that waited for a slot gets its
// Job, how long it waited: from when it first asked (its creation, or for
// a run created ahead of its time, that time) to now.
func recordQueuedTime(run *rpav1alpha1.RobotRun, now time.Time) {
	if len(run.Status.WaitingFor) == 0 {
		return
	}
	runQueuedSeconds.WithLabelValues(run.Namespace, run.Spec.RobotName).Observe(now.Sub(orderTime(run)).Seconds())
}
