package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// robotStatusCollector exports, at each scrape, what every cached Robot's
// status says (active runs, missed and skipped times, last success) and a
// zero for every final phase a robot has no run counted in yet. Read at
// scrape time rather than kept in vectors: a series object per robot costs
// memory for the life of the process (docs/benchmarks.md), and counters
// read from the status survive operator restarts.
type robotStatusCollector struct {
	runsFinished *prometheus.CounterVec
	// robots is where the series read Robots from; nil exports none.
	robots client.Reader
	// elected is closed once this manager leads: a standby replica
	// exports no robot series, so a sum over replicas counts each once.
	elected <-chan struct{}

	activeRuns, missed, skipped, lastSuccess, finishedZero *prometheus.Desc
}

func newRobotStatusCollector(runsFinished *prometheus.CounterVec) *robotStatusCollector {
	robotLabels := []string{labelNamespace, labelRobot}
	return &robotStatusCollector{
		runsFinished: runsFinished,
		activeRuns:   prometheus.NewDesc("rpa_robot_active_runs", "Runs of a robot that have not finished.", robotLabels, nil),
		missed: prometheus.NewDesc("rpa_robot_schedule_missed_total",
			"Scheduled times that got no run: the operator was down, or the time was past startingDeadlineSeconds.",
			robotLabels, nil),
		skipped: prometheus.NewDesc("rpa_robot_schedule_skipped_total",
			"Scheduled times skipped under concurrencyPolicy Forbid because a run had not finished.", robotLabels, nil),
		lastSuccess: prometheus.NewDesc("rpa_robot_last_success_timestamp_seconds",
			"When the robot's last successful run ended, in Unix seconds.", robotLabels, nil),
		// The zeros have the same name, help and labels as the vector's own series.
		finishedZero: prometheus.NewDesc(runsFinishedName, runsFinishedHelp, []string{labelNamespace, labelRobot, labelPhase}, nil),
	}
}

// ReadRobotsFrom makes the robot status series come from reader (the
// manager's cache) once elected is closed. Call it before the manager starts.
func (m *Recorder) ReadRobotsFrom(reader client.Reader, elected <-chan struct{}) {
	m.robotStatus.robots, m.robotStatus.elected = reader, elected
}

// scrapeTimeout bounds the cache read of one scrape: before the cache has
// synced a List waits for it, and a scrape must not hang.
const scrapeTimeout = 5 * time.Second

// Describe sends the descriptors of runsFinished and of the status series.
func (c *robotStatusCollector) Describe(ch chan<- *prometheus.Desc) {
	c.runsFinished.Describe(ch)
	for _, d := range []*prometheus.Desc{c.activeRuns, c.missed, c.skipped, c.lastSuccess} {
		ch <- d
	}
}

// Collect sends runsFinished's counters, then each robot's status series
// and the zeros of the final phases it has no counter in.
func (c *robotStatusCollector) Collect(ch chan<- prometheus.Metric) {
	counted := c.collectRunsFinished(ch)
	robots, err := c.listRobots()
	if err != nil {
		logf.Log.WithName("metrics").Error(err, "robot status series left out of this scrape")
		return
	}
	for i := range robots {
		robot := &robots[i]
		c.collectStatus(ch, robot)
		for _, phase := range finalPhases {
			if !counted[finishedKey{robot.Namespace, robot.Name, string(phase)}] {
				ch <- prometheus.MustNewConstMetric(c.finishedZero, prometheus.CounterValue, 0, robot.Namespace, robot.Name, string(phase))
			}
		}
	}
}

// listRobots lists the cached Robots without copying them (Collect only
// reads), or none while this manager is not the leader.
func (c *robotStatusCollector) listRobots() ([]rpav1alpha1.Robot, error) {
	if c.robots == nil || !isClosed(c.elected) {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	var list rpav1alpha1.RobotList
	if err := c.robots.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	return list.Items, nil
}

func (c *robotStatusCollector) collectStatus(ch chan<- prometheus.Metric, robot *rpav1alpha1.Robot) {
	ns, name, status := robot.Namespace, robot.Name, &robot.Status
	ch <- prometheus.MustNewConstMetric(c.activeRuns, prometheus.GaugeValue, float64(status.ActiveRuns), ns, name)
	ch <- prometheus.MustNewConstMetric(c.missed, prometheus.CounterValue, float64(status.MissedRuns), ns, name)
	ch <- prometheus.MustNewConstMetric(c.skipped, prometheus.CounterValue, float64(status.SkippedRuns), ns, name)
	if t := status.LastSuccessfulTime; t != nil {
		ch <- prometheus.MustNewConstMetric(c.lastSuccess, prometheus.GaugeValue, float64(t.Unix()), ns, name)
	}
}

// finishedKey is one series of runsFinished.
type finishedKey struct{ namespace, robot, phase string }

// collectRunsFinished sends runsFinished's counters on to ch and returns
// which robots and phases have one.
func (c *robotStatusCollector) collectRunsFinished(ch chan<- prometheus.Metric) map[finishedKey]bool {
	counters := make(chan prometheus.Metric, 64)
	go func() {
		c.runsFinished.Collect(counters)
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
