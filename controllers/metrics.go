package controllers

import (
	"regexp"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

const (
	runsFinishedName = "rpa_robotruns_finished_total"
	runsFinishedHelp = "Runs that reached a final phase, by namespace, robot and phase."
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
	// runsFinished has no reason label, so that its series can start at
	// zero for every robot and final phase (robotStatusMetrics exports the
	// zeros): an alert on increase() then sees a robot's first failure too.
	// It is registered through robotStatus, which sends its series.
	runsFinished = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: runsFinishedName,
		Help: runsFinishedHelp,
	}, []string{labelNamespace, labelRobot, labelPhase})

	runFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rpa_robotruns_failed_total",
		Help: "Runs that ended Failed or TimedOut, by namespace, robot and reason (docs/robots-and-runs.md).",
	}, []string{labelNamespace, labelRobot, "reason"})

	scheduleLag = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "rpa_robotrun_schedule_lag_seconds",
		Help: "Time from a scheduled run's scheduled time to its Job's start, by namespace and robot.",
		// 0.25 s to about 4.5 h: normally seconds; waits for a slot or a
		// Queue policy make it longer.
		Buckets: prometheus.ExponentialBuckets(0.25, 2, 17),
	}, []string{labelNamespace, labelRobot})

	runDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "rpa_robotrun_duration_seconds",
		Help: "Duration of finished runs from the Job's start to the run's end, by namespace, robot and phase.",
		// 1 s to about 18 h: robots run from seconds to a night's batch.
		Buckets: prometheus.ExponentialBuckets(1, 2.5, 12),
	}, []string{labelNamespace, labelRobot, labelPhase})

	itemsProcessed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rpa_robotrun_items_total",
		Help: "Work items finished runs reported, by outcome (succeeded, failed, business_exception).",
	}, []string{labelNamespace, labelRobot, "outcome"})
)

// collectors are the metrics this package registers with the manager.
var collectors = []prometheus.Collector{robotStatus, runFailures, runDuration, scheduleLag, itemsProcessed}

func init() {
	metrics.Registry.MustRegister(collectors...)
}

// descName and descLabels find the metric name and its variable labels in
// a Desc's String(), the only place the client library exposes them.
var (
	descName   = regexp.MustCompile(`fqName: "([^"]+)"`)
	descLabels = regexp.MustCompile(`variableLabels: \{([^}]*)\}\}$`)
)

// ExportedMetrics returns the metrics this package exports, as Prometheus
// sees them (histograms by their base name), with their label names. Tests
// of the alert rules and the dashboard check their queries against it.
func ExportedMetrics() map[string][]string {
	out := map[string][]string{}
	for _, c := range collectors {
		ch := make(chan *prometheus.Desc, 8)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			desc := d.String()
			name := descName.FindStringSubmatch(desc)
			if name == nil {
				continue
			}
			var labels []string
			if l := descLabels.FindStringSubmatch(desc); l != nil && l[1] != "" {
				labels = strings.Split(l[1], ",")
			}
			out[name[1]] = labels
		}
	}
	return out
}

// recordFinishedRun counts a run that has just reached its final phase. It
// is called once per run: after the status write that made it final.
func recordFinishedRun(run *rpav1alpha1.RobotRun, reason string) {
	ns, robot := run.Namespace, run.Spec.RobotName
	runsFinished.WithLabelValues(ns, robot, string(run.Status.Phase)).Inc()
	if phase := run.Status.Phase; phase == rpav1alpha1.PhaseFailed || phase == rpav1alpha1.PhaseTimedOut {
		runFailures.WithLabelValues(ns, robot, reason).Inc()
	}
	if start, end := run.Status.StartTime, run.Status.CompletionTime; start != nil && end != nil {
		runDuration.WithLabelValues(ns, robot, string(run.Status.Phase)).Observe(end.Sub(start.Time).Seconds())
	}
	if res := run.Status.Result; res != nil {
		addItems(ns, robot, "succeeded", res.ItemsSucceeded)
		addItems(ns, robot, "failed", res.ItemsFailed)
		addItems(ns, robot, "business_exception", res.BusinessExceptions)
	}
}

// recordStarted observes a scheduled run's lag when its Job has just
// started: called once per run, after the status write that first set
// startTime.
func recordStarted(run *rpav1alpha1.RobotRun) {
	scheduled, start := run.Spec.Trigger.ScheduledTime, run.Status.StartTime
	if scheduled == nil || start == nil {
		return
	}
	lag := start.Sub(scheduled.Time).Seconds()
	scheduleLag.WithLabelValues(run.Namespace, run.Spec.RobotName).Observe(max(lag, 0))
}

func addItems(namespace, robot, outcome string, n *int64) {
	if n != nil && *n > 0 {
		itemsProcessed.WithLabelValues(namespace, robot, outcome).Add(float64(*n))
	}
}
