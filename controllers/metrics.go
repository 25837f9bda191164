package controllers

import (
	"regexp"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// Metric label names.
const (
	labelNamespace = "namespace"
	labelRobot     = "robot"
	labelPhase     = "phase"
)

// Metrics on the manager's metrics endpoint. Labels are bounded by the
// number of robots; run names never become labels.
var (
	runsFinished = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rpa_robotruns_finished_total",
		Help: "Runs that reached a final phase, by namespace, robot, phase and reason.",
	}, []string{labelNamespace, labelRobot, labelPhase, "reason"})

	runDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "rpa_robotrun_duration_seconds",
		Help: "Duration of finished runs from the Job's start to the run's end, by namespace, robot and phase.",
		// 1 s to about 18 h: robots run from seconds to a night's batch.
		Buckets: prometheus.ExponentialBuckets(1, 2.5, 12),
	}, []string{labelNamespace, labelRobot, labelPhase})

	activeRuns = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "rpa_robot_active_runs",
		Help: "Runs of a robot that have not finished.",
	}, []string{labelNamespace, labelRobot})

	itemsProcessed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rpa_robotrun_items_total",
		Help: "Work items finished runs reported, by outcome (succeeded, failed, business_exception).",
	}, []string{labelNamespace, labelRobot, "outcome"})
)

// collectors are the metrics this package registers with the manager.
var collectors = []prometheus.Collector{runsFinished, runDuration, activeRuns, itemsProcessed}

func init() {
	metrics.Registry.MustRegister(collectors...)
}

// descName finds the metric name in a Desc's String(), the only place the
// client library exposes it.
var descName = regexp.MustCompile(`fqName: "([^"]+)"`)

// MetricNames returns the names of the metrics this package exports, as
// Prometheus sees them (histograms as their base name). Tests of the alert
// rules and dashboards check their queries against it.
func MetricNames() []string {
	var names []string
	for _, c := range collectors {
		ch := make(chan *prometheus.Desc, 8)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			if m := descName.FindStringSubmatch(d.String()); m != nil {
				names = append(names, m[1])
			}
		}
	}
	return names
}

// recordFinishedRun counts a run that has just reached its final phase. It
// is called once per run: after the status write that made it final.
func recordFinishedRun(run *rpav1alpha1.RobotRun, reason string) {
	ns, robot := run.Namespace, run.Spec.RobotName
	runsFinished.WithLabelValues(ns, robot, string(run.Status.Phase), reason).Inc()
	if start, end := run.Status.StartTime, run.Status.CompletionTime; start != nil && end != nil {
		runDuration.WithLabelValues(ns, robot, string(run.Status.Phase)).Observe(end.Sub(start.Time).Seconds())
	}
	if res := run.Status.Result; res != nil {
		addItems(ns, robot, "succeeded", res.ItemsSucceeded)
		addItems(ns, robot, "failed", res.ItemsFailed)
		addItems(ns, robot, "business_exception", res.BusinessExceptions)
	}
}

func addItems(namespace, robot, outcome string, n *int64) {
	if n != nil && *n > 0 {
		itemsProcessed.WithLabelValues(namespace, robot, outcome).Add(float64(*n))
	}
}
