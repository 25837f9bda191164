package integration

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	rpametrics "github.com/rpa-operator/rpa-operator/controllers/metrics"
)

// robotSeries gathers the manager's registry, as a scrape would, and
// returns the robot's series of one metric by their phase label (""
// where there is none).
func robotSeries(g Gomega, name, ns, robot string) map[string]*dto.Metric {
	return seriesIn(g, metrics.Registry, name, ns, robot)
}

// seriesIn is robotSeries for any registry.
func seriesIn(g Gomega, registry prometheus.Gatherer, name, ns, robot string) map[string]*dto.Metric {
	families, err := registry.Gather()
	g.Expect(err).NotTo(HaveOccurred())
	series := map[string]*dto.Metric{}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["namespace"] == ns && labels["robot"] == robot {
				series[labels["phase"]] = m
			}
		}
	}
	return series
}

// gaugeValue is a robot's single gauge value, or -1 when it has none.
func gaugeValue(g Gomega, name, ns, robot string) float64 {
	if m, ok := robotSeries(g, name, ns, robot)[""]; ok {
		return m.GetGauge().GetValue()
	}
	return -1
}

func TestRobotMetricsFollowSchedulesSuccessesAndMisses(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	first := clockJustBefore(t, nextMinute)
	robot := createRobot(t, ns, "post-robot", func(r *rpav1alpha1.Robot) {
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
		r.Spec.Timeout = &metav1.Duration{Duration: 10 * time.Minute}
		r.Spec.Schedules = []rpav1alpha1.Schedule{everyMinute("post")}
	})

	// Before any run: every final phase counts from zero, and the first
	// success is due at the first scheduled time plus the timeout.
	g.Eventually(func(g Gomega) {
		finished := robotSeries(g, "rpa_robotruns_finished_total", ns, robot.Name)
		g.Expect(finished).To(HaveLen(4))
		for phase, m := range finished {
			g.Expect(m.GetCounter().GetValue()).To(BeZero(), "phase %s", phase)
		}
		g.Expect(gaugeValue(g, "rpa_robot_success_due_timestamp_seconds", ns, robot.Name)).
			To(Equal(float64(first.Add(10 * time.Minute).Unix())))
		due := getRobot(g, robot).Status.SuccessDueTime
		g.Expect(due).NotTo(BeNil(), "status says it too, for kubectl and the console")
		g.Expect(due.Unix()).To(Equal(first.Add(10 * time.Minute).Unix()))
	}, scheduleTimeout, interval).Should(Succeed())
	g.Expect(gaugeValue(g, "rpa_robot_last_success_timestamp_seconds", ns, robot.Name)).To(Equal(-1.0))

	// The scheduled run succeeds: its lag is observed once, the last
	// success is exported and the next success is due a minute later.
	var run *rpav1alpha1.RobotRun
	g.Eventually(func(g Gomega) {
		runs := runsOfRobot(g, ns, robot.Name)
		g.Expect(runs).To(HaveLen(1))
		run = &runs[0]
	}, scheduleTimeout, interval).Should(Succeed())
	succeedJob(g, waitForJob(g, run))
	waitForOutcome(g, run, rpav1alpha1.PhaseSucceeded, rpav1alpha1.ReasonCompleted)
	g.Eventually(func(g Gomega) {
		success := getRobot(g, robot).Status.LastSuccessfulTime
		g.Expect(success).NotTo(BeNil())
		g.Expect(gaugeValue(g, "rpa_robot_last_success_timestamp_seconds", ns, robot.Name)).To(Equal(float64(success.Unix())))
		g.Expect(gaugeValue(g, "rpa_robot_success_due_timestamp_seconds", ns, robot.Name)).
			To(Equal(float64(nextMinute(success.Time).Add(10 * time.Minute).Unix())))
	}, scheduleTimeout, interval).Should(Succeed())
	g.Expect(robotSeries(g, "rpa_robotrun_schedule_lag_seconds", ns, robot.Name)[""].GetHistogram().GetSampleCount()).
		To(Equal(uint64(1)))
	g.Expect(robotSeries(g, "rpa_robotruns_finished_total", ns, robot.Name)[string(rpav1alpha1.PhaseSucceeded)].
		GetCounter().GetValue()).To(Equal(1.0))

	// Thirty minutes unseen: 29 times are missed and counted once, however
	// often the robot is reconciled afterwards.
	advanceClock(t, 30*time.Minute)
	patchRobot(g, robot, func(r *rpav1alpha1.Robot) { r.Spec.Description = "after the outage" })
	g.Eventually(func(g Gomega) {
		g.Expect(getRobot(g, robot).Status.MissedRuns).To(Equal(int64(29)))
		g.Expect(robotSeries(g, "rpa_robot_schedule_missed_total", ns, robot.Name)[""].GetCounter().GetValue()).To(Equal(29.0))
	}, scheduleTimeout, interval).Should(Succeed())
	patchRobot(g, robot, func(r *rpav1alpha1.Robot) { r.Spec.Description = "reconciled again" })
	g.Consistently(func(g Gomega) {
		g.Expect(robotSeries(g, "rpa_robot_schedule_missed_total", ns, robot.Name)[""].GetCounter().GetValue()).To(Equal(29.0))
	}, 2*time.Second, interval).Should(Succeed())

	// Suspended, nothing is due; deleted, the robot's series are gone.
	patchRobot(g, robot, func(r *rpav1alpha1.Robot) { r.Spec.Suspend = true })
	g.Eventually(func(g Gomega) {
		g.Expect(gaugeValue(g, "rpa_robot_success_due_timestamp_seconds", ns, robot.Name)).To(Equal(-1.0))
		g.Expect(getRobot(g, robot).Status.SuccessDueTime).To(BeNil(), "nothing is due while suspended")
	}, scheduleTimeout, interval).Should(Succeed())
	g.Expect(k8sClient.Delete(context.Background(), getRobot(g, robot))).To(Succeed())
	g.Eventually(func(g Gomega) {
		for _, name := range []string{"rpa_robotruns_finished_total", "rpa_robot_last_success_timestamp_seconds",
			"rpa_robotrun_schedule_lag_seconds", "rpa_robot_schedule_missed_total", "rpa_robot_active_runs"} {
			g.Expect(robotSeries(g, name, ns, robot.Name)).To(BeEmpty(), name)
		}
	}, scheduleTimeout, interval).Should(Succeed())
}

// seriesOf is the values of a robot's series of one metric in registry,
// gauges and counters alike, by their phase label.
func seriesOf(g Gomega, registry prometheus.Gatherer, name, ns, robot string) map[string]float64 {
	values := map[string]float64{}
	for phase, m := range seriesIn(g, registry, name, ns, robot) {
		values[phase] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
	}
	return values
}

func TestRobotStatusSeriesOnlyOnceElected(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "journal-robot", nil)
	createRun(t, ns, "j1", robot.Name, nil)
	g.Eventually(func(g Gomega) {
		g.Expect(getRobot(g, robot).Status.ActiveRuns).To(Equal(int32(1)))
	}, timeout, interval).Should(Succeed())

	series := rpametrics.NewRecorder()
	elected := make(chan struct{})
	series.ReadRobotsFrom(k8sClient, elected)
	registry := prometheus.NewPedanticRegistry()
	g.Expect(series.Register(registry)).To(Succeed())

	// A standby replica: no robot series at all, so that a sum over the
	// replicas counts each robot once.
	g.Expect(seriesOf(g, registry, "rpa_robot_active_runs", ns, robot.Name)).To(BeEmpty())
	g.Expect(seriesOf(g, registry, "rpa_robotruns_finished_total", ns, robot.Name)).To(BeEmpty())

	// Elected: the status, and a zero for every final phase.
	close(elected)
	g.Expect(seriesOf(g, registry, "rpa_robot_active_runs", ns, robot.Name)).To(Equal(map[string]float64{"": 1}))
	g.Expect(seriesOf(g, registry, "rpa_robot_schedule_missed_total", ns, robot.Name)).To(Equal(map[string]float64{"": 0}))
	g.Expect(seriesOf(g, registry, "rpa_robotruns_finished_total", ns, robot.Name)).
		To(Equal(map[string]float64{"Succeeded": 0, "Failed": 0, "Cancelled": 0, "TimedOut": 0}))
}

// succeededRuns is a robot's rpa_robotruns_finished_total of phase
// Succeeded in the suite's manager.
func succeededRuns(g Gomega, ns, robot string) float64 {
	return counterIn(g, metrics.Registry, "rpa_robotruns_finished_total", ns, robot, "Succeeded")
}

// counterIn is a robot's counter of one phase in registry, 0 when absent.
func counterIn(g Gomega, registry prometheus.Gatherer, name, ns, robot, phase string) float64 {
	return seriesOf(g, registry, name, ns, robot)[phase]
}
