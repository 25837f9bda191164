package runrecorder

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// Names of the run recorder's metrics.
const (
	metricPendingOldest = "rpa_run_record_oldest_pending_seconds"
	metricPending       = "rpa_run_records_pending"
	labelNamespace      = "namespace"
)

// Exported lists the metrics this package exports and their labels, for
// the checks of the alert rules (test/config).
func Exported() map[string][]string {
	return map[string][]string{
		metricPendingOldest: {labelNamespace},
		metricPending:       {labelNamespace},
	}
}

// pendingCollector exports, at each scrape, the finished runs of each
// namespace that still wait for their record (they hold the finalizer)
// and how long the oldest of them has: a run is recorded within seconds,
// so an age of minutes means the records' database, or rpa-server, is
// failing and pruning waits. Read from the cache at scrape time, like
// the manager's robot series; every replica exports the same values, so
// alerts take the max.
type pendingCollector struct {
	runs          client.Reader
	clock         clock.PassiveClock
	oldest, count *prometheus.Desc
}

// NewPendingCollector reads runs from reader (rpa-server's cache).
func NewPendingCollector(reader client.Reader, clk clock.PassiveClock) prometheus.Collector {
	return &pendingCollector{
		runs: reader, clock: clk,
		oldest: prometheus.NewDesc(metricPendingOldest,
			"How long ago the oldest finished run of the namespace that is not recorded yet finished; runs are kept until recorded.",
			[]string{labelNamespace}, nil),
		count: prometheus.NewDesc(metricPending, "Finished runs of the namespace that are not recorded yet.", []string{labelNamespace}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *pendingCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.oldest
	ch <- c.count
}

// Collect implements prometheus.Collector.
func (c *pendingCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var runs rpav1alpha1.RobotRunList
	if err := c.runs.List(ctx, &runs); err != nil {
		logf.Log.WithName("metrics").Error(err, "run-record series left out of this scrape")
		return
	}
	now := c.clock.Now()
	oldest, count := map[string]time.Time{}, map[string]int{}
	for i := range runs.Items {
		run := &runs.Items[i]
		if !run.Status.Phase.Finished() || !controllerutil.ContainsFinalizer(run, rpav1alpha1.FinalizerRunRecord) {
			continue
		}
		finished := finishedAt(run, now)
		if o, ok := oldest[run.Namespace]; !ok || finished.Before(o) {
			oldest[run.Namespace] = finished
		}
		count[run.Namespace]++
	}
	for ns, at := range oldest {
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, now.Sub(at).Seconds(), ns)
		ch <- prometheus.MustNewConstMetric(c.count, prometheus.GaugeValue, float64(count[ns]), ns)
	}
}
