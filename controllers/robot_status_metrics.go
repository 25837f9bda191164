package controllers

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// robotStatusMetrics exports, at each scrape, what every Robot's status
// says (active runs, missed and skipped times, last success), read from
// the manager's cache, and the zero of every final phase a robot has not
// counted a run in yet.
//
// Why at scrape time and not in metric vectors set by the reconciler: a
// vector keeps a series object per robot and label set for the life of the
// process; at 5,000 robots those took about 17 MB of the manager's 120 MB
// heap (docs/benchmarks.md), most of it zeros. The status is in the cache
// anyway. The counters also follow the status across operator restarts
// instead of starting again from zero.
type robotStatusMetrics struct {
	// source is the first manager's cache (Setup); nil until then.
	source atomic.Pointer[robotSource]

	activeRuns, missed, skipped, lastSuccess *prometheus.Desc
}

// robotStatus is the manager's; registered with the other collectors.
var robotStatus = newRobotStatusMetrics()

func newRobotStatusMetrics() *robotStatusMetrics {
	return &robotStatusMetrics{
		activeRuns: prometheus.NewDesc("rpa_robot_active_runs",
			"Runs of a robot that have not finished.", []string{labelNamespace, labelRobot}, nil),
		missed: prometheus.NewDesc("rpa_robot_schedule_missed_total",
			"Scheduled times that got no run: the operator was down, or the time was past startingDeadlineSeconds.",
			[]string{labelNamespace, labelRobot}, nil),
		skipped: prometheus.NewDesc("rpa_robot_schedule_skipped_total",
			"Scheduled times skipped under concurrencyPolicy Forbid because a run had not finished.",
			[]string{labelNamespace, labelRobot}, nil),
		lastSuccess: prometheus.NewDesc("rpa_robot_last_success_timestamp_seconds",
			"When the robot's last successful run ended, in Unix seconds.", []string{labelNamespace, labelRobot}, nil),
	}
}

// scrapeTimeout bounds the cache read of one scrape: before the cache has
// synced a List waits for it, and a scrape must not hang.
const scrapeTimeout = 5 * time.Second

// robotSource is where the series read robots from, and when.
type robotSource struct {
	reader client.Reader
	// elected is closed once this manager leads (at once without leader
	// election): a standby replica exports no robot series, so that a sum
	// over replicas counts each robot once.
	elected <-chan struct{}
}

// readRobotsFrom makes the robot series come from reader once elected is
// closed. The first manager set up in this process is the source (there is
// one in the operator; tests start a second one, which must not take over).
func (m *robotStatusMetrics) readRobotsFrom(reader client.Reader, elected <-chan struct{}) {
	m.source.CompareAndSwap(nil, &robotSource{reader: reader, elected: elected})
}

// Describe sends the descriptors of runsFinished and of the status series.
func (m *robotStatusMetrics) Describe(ch chan<- *prometheus.Desc) {
	runsFinished.Describe(ch)
	for _, d := range []*prometheus.Desc{m.activeRuns, m.missed, m.skipped, m.lastSuccess} {
		ch <- d
	}
}

// Collect sends runsFinished's counters, then each cached robot's status
// series and a zero for each final phase it has no counter in yet.
func (m *robotStatusMetrics) Collect(ch chan<- prometheus.Metric) {
	counted := collectRunsFinished(ch)
	robots, err := m.robots()
	if err != nil {
		logf.Log.WithName("metrics").Error(err, "robot status series left out of this scrape")
		return
	}
	for i := range robots {
		robot := &robots[i]
		m.collectStatus(ch, robot)
		for _, phase := range finalPhases {
			if !counted[finishedKey{robot.Namespace, robot.Name, string(phase)}] {
				ch <- prometheus.MustNewConstMetric(runsFinishedDesc, prometheus.CounterValue, 0, robot.Namespace, robot.Name, string(phase))
			}
		}
	}
}

// robots lists the cached Robots without copying them (Collect only
// reads), or none while this manager is not the leader.
func (m *robotStatusMetrics) robots() ([]rpav1alpha1.Robot, error) {
	source := m.source.Load()
	if source == nil || !isClosed(source.elected) {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	var list rpav1alpha1.RobotList
	if err := source.reader.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	return list.Items, nil
}

func (m *robotStatusMetrics) collectStatus(ch chan<- prometheus.Metric, robot *rpav1alpha1.Robot) {
	ns, name, status := robot.Namespace, robot.Name, &robot.Status
	ch <- prometheus.MustNewConstMetric(m.activeRuns, prometheus.GaugeValue, float64(status.ActiveRuns), ns, name)
	ch <- prometheus.MustNewConstMetric(m.missed, prometheus.CounterValue, float64(status.MissedRuns), ns, name)
	ch <- prometheus.MustNewConstMetric(m.skipped, prometheus.CounterValue, float64(status.SkippedRuns), ns, name)
	if t := status.LastSuccessfulTime; t != nil {
		ch <- prometheus.MustNewConstMetric(m.lastSuccess, prometheus.GaugeValue, float64(t.Unix()), ns, name)
	}
}

// runsFinishedDesc describes the zeros of runsFinished: the same name, help
// and labels as the vector's own series.
var runsFinishedDesc = prometheus.NewDesc(runsFinishedName, runsFinishedHelp, []string{labelNamespace, labelRobot, labelPhase}, nil)

// finishedKey is one series of runsFinished.
type finishedKey struct{ namespace, robot, phase string }

// collectRunsFinished sends runsFinished's counters on to ch and returns
// which robots and phases have one.
func collectRunsFinished(ch chan<- prometheus.Metric) map[finishedKey]bool {
	counters := make(chan prometheus.Metric, 64)
	go func() {
		runsFinished.Collect(counters)
		close(counters)
	}()
	counted := map[finishedKey]bool{}
	for metric := range counters {
		var out dto.Metric
		if err := metric.Write(&out); err == nil {
			counted[finishedKey{labelOf(&out, labelNamespace), labelOf(&out, labelRobot), labelOf(&out, labelPhase)}] = true
		}
		ch <- metric
	}
	return counted
}

// labelOf is the value of a series' label, "" when it has none of that name.
func labelOf(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
