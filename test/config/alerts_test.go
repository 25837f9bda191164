package config

import (
	"context"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/promqltest"
	"github.com/prometheus/prometheus/template"
	"sigs.k8s.io/yaml"
)

type rule struct {
	Alert       string            `json:"alert"`
	For         string            `json:"for,omitempty"`
	Expr        string            `json:"expr"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

type prometheusRule struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   map[string]any `json:"metadata"`
	Spec       struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []rule `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
}

// requiredAlerts are the alerts the operations issue asks for: a run
// failed, a robot failing repeatedly, no success within the expected
// period, missed schedules, the operator down.
var requiredAlerts = []string{
	"RobotRunFailed", "RobotFailingRepeatedly", "RobotNoRecentSuccess", "RobotScheduleMissed", "RPAOperatorDown",
}

// alertRules reads config/prometheus/rules.yaml, strictly.
func alertRules(t *testing.T) map[string]rule {
	t.Helper()
	var pr prometheusRule
	if err := yaml.UnmarshalStrict(readRepoFile(t, "config", "prometheus", "rules.yaml"), &pr); err != nil {
		t.Fatal(err)
	}
	if pr.Kind != "PrometheusRule" {
		t.Fatalf("kind %q, want PrometheusRule", pr.Kind)
	}
	rules := map[string]rule{}
	for _, g := range pr.Spec.Groups {
		for _, r := range g.Rules {
			if _, dup := rules[r.Alert]; dup {
				t.Errorf("alert %s defined twice", r.Alert)
			}
			rules[r.Alert] = r
		}
	}
	return rules
}

func TestAlertRulesUseExportedMetricsAndHaveRunbooks(t *testing.T) {
	known := knownMetrics(t)
	rules := alertRules(t)
	runbook := string(readRepoFile(t, "docs", "runbook.md"))
	for _, name := range requiredAlerts {
		if _, ok := rules[name]; !ok {
			t.Errorf("alert %s is missing", name)
		}
	}
	for name, r := range rules {
		if _, problems := checkQuery(known, r.Expr); len(problems) > 0 {
			t.Errorf("%s: %s", name, strings.Join(problems, "; "))
		}
		if r.Labels["severity"] == "" {
			t.Errorf("%s: no severity label", name)
		}
		for _, a := range []string{"summary", "description"} {
			if r.Annotations[a] == "" {
				t.Errorf("%s: no %s annotation", name, a)
			}
		}
		anchor := "docs/runbook.md#" + strings.ToLower(name)
		if !strings.HasSuffix(r.Annotations["runbook_url"], anchor) {
			t.Errorf("%s: runbook_url %q does not end in %s", name, r.Annotations["runbook_url"], anchor)
		}
		if !strings.Contains(runbook, "\n## "+name+"\n") {
			t.Errorf("%s: docs/runbook.md has no section ## %s", name, name)
		}
	}
}

// TestAlertAnnotationsExpand expands every annotation the way Prometheus
// does when an alert fires, so a template error shows here and not as an
// empty notification.
func TestAlertAnnotationsExpand(t *testing.T) {
	// Prometheus puts these definitions before every annotation template.
	const defs = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"
	labels := map[string]string{"namespace": "aalborg-hr", "robot": "certificate-journal", "phase": "Failed"}
	sample := promql.Sample{F: 5400}
	data := template.AlertTemplateData(labels, nil, "", sample)
	for name, r := range alertRules(t) {
		for key, text := range r.Annotations {
			expander := template.NewTemplateExpander(context.Background(), defs+text, name+"/"+key, data,
				model.Time(0), nil, &url.URL{}, nil)
			out, err := expander.Expand()
			if err != nil {
				t.Errorf("%s %s: %v", name, key, err)
				continue
			}
			if strings.Contains(text, "$labels.robot") && !strings.Contains(out, "certificate-journal") {
				t.Errorf("%s %s expanded to %q without the robot", name, key, out)
			}
		}
	}
}

// firing evaluates an alert's expression at the given offset from the
// start of the loaded series and returns the robots it fires for, as
// "namespace/robot" (with the phase when the alert keeps it).
func firing(t *testing.T, engine *promql.Engine, series, expr string, at time.Duration) []string {
	t.Helper()
	storage := promqltest.LoadedStorage(t, series)
	q, err := engine.NewInstantQuery(context.Background(), storage, nil, expr, time.Unix(0, 0).Add(at))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	vector, err := q.Exec(context.Background()).Vector()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(vector))
	for _, s := range vector {
		id := s.Metric.Get("namespace") + "/" + s.Metric.Get("robot")
		if phase := s.Metric.Get("phase"); phase != "" {
			id += " " + phase
		}
		if s.Metric.Get("robot") == "" {
			id = s.Metric.String()
		}
		out = append(out, id)
	}
	if len(out) == 0 {
		return nil
	}
	sort.Strings(out)
	return out
}

// TestAlertsFireWhenTheyShould evaluates each alert's expression with
// Prometheus' engine on series shaped like the manager's: counters start
// at zero for every robot (the manager initialises them), gauges are Unix
// seconds. Loaded series start at Unix time 0.
func TestAlertsFireWhenTheyShould(t *testing.T) {
	rules := alertRules(t)
	engine := promqltest.NewTestEngine(t, false, 0, 1_000_000)
	tests := []struct {
		alert  string
		series string
		at     time.Duration
		want   []string
	}{
		{
			alert: "RobotRunFailed", at: 10 * time.Minute,
			series: `load 1m
				rpa_robotruns_finished_total{namespace="hr",robot="journal",phase="Failed"} 0 0 0 0 0 0 0 0 1 1 1
				rpa_robotruns_finished_total{namespace="hr",robot="journal",phase="Succeeded"} 0 0 1 1 1 1 1 1 1 1 1
				rpa_robotruns_finished_total{namespace="hr",robot="letters",phase="TimedOut"} 0 0 0 0 0 0 0 0 0 0 0
				rpa_robotruns_finished_total{namespace="hr",robot="letters",phase="Succeeded"} 0 1 2 3 4 5 6 7 8 9 10`,
			want: []string{"hr/journal Failed"},
		},
		{
			alert: "RobotRunFailed", at: 40 * time.Minute,
			series: `load 1m
				rpa_robotruns_finished_total{namespace="hr",robot="journal",phase="Failed"} 0 0 0 0 0 1 1+0x40`,
			want: nil,
		},
		{
			alert: "RobotFailingRepeatedly", at: 3 * time.Hour,
			series: `load 10m
				rpa_robotruns_finished_total{namespace="hr",robot="journal",phase="Failed"} 0 0 1 1 2 2 3 3 3 3 3 3 3 3 3 3 3 3 3
				rpa_robotruns_finished_total{namespace="hr",robot="journal",phase="Succeeded"} 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
				rpa_robotruns_finished_total{namespace="hr",robot="letters",phase="Failed"} 0 0 1 1 2 2 3 3 3 3 3 3 3 3 3 3 3 3 3
				rpa_robotruns_finished_total{namespace="hr",robot="letters",phase="Succeeded"} 0 0 0 0 0 0 0 0 1 1 1 1 1 1 1 1 1 1 1`,
			want: []string{"hr/journal"},
		},
		{
			// Due at 600 s: quiet before, firing after.
			alert: "RobotNoRecentSuccess", at: 9 * time.Minute,
			series: `load 1m
				rpa_robot_success_due_timestamp_seconds{namespace="hr",robot="journal"} 600+0x20`,
			want: nil,
		},
		{
			alert: "RobotNoRecentSuccess", at: 15 * time.Minute,
			series: `load 1m
				rpa_robot_success_due_timestamp_seconds{namespace="hr",robot="journal"} 600+0x20
				rpa_robot_success_due_timestamp_seconds{namespace="hr",robot="letters"} 1200+0x20`,
			want: []string{"hr/journal"},
		},
		{
			// A success moves the due time on; the alert resolves.
			alert: "RobotNoRecentSuccess", at: 15 * time.Minute,
			series: `load 1m
				rpa_robot_success_due_timestamp_seconds{namespace="hr",robot="journal"} 600+0x12 4200+0x8`,
			want: nil,
		},
		{
			alert: "RobotScheduleMissed", at: 10 * time.Minute,
			series: `load 1m
				rpa_robot_schedule_missed_total{namespace="hr",robot="journal"} 0 0 0 0 0 29 29 29 29 29 29
				rpa_robot_schedule_missed_total{namespace="hr",robot="letters"} 0 0 0 0 0 0 0 0 0 0 0`,
			want: []string{"hr/journal"},
		},
		{
			alert: "RobotScheduleMissed", at: 3 * time.Hour,
			series: `load 10m
				rpa_robot_schedule_missed_total{namespace="hr",robot="journal"} 0 29 29+0x20`,
			want: nil,
		},
		{
			alert: "RunRecordsPending", at: 10 * time.Minute,
			series: `load 1m
				rpa_run_record_oldest_pending_seconds{namespace="hr",pod="rpa-server-a"} 0+60x20
				rpa_run_record_oldest_pending_seconds{namespace="hr",pod="rpa-server-b"} 0+60x20`,
			want: nil,
		},
		{
			alert: "RunRecordsPending", at: 17 * time.Minute,
			series: `load 1m
				rpa_run_record_oldest_pending_seconds{namespace="hr",pod="rpa-server-a"} 0+60x20
				rpa_run_record_oldest_pending_seconds{namespace="hr",pod="rpa-server-b"} 0+60x20
				rpa_run_record_oldest_pending_seconds{namespace="borgerservice",pod="rpa-server-a"} 5+0x20`,
			want: []string{`{namespace="hr"}`},
		},
		{
			alert: "RPAOperatorDown", at: 5 * time.Minute,
			series: `load 1m
				up{job="rpa-operator-controller-manager-metrics-service",instance="10.0.0.7:8443"} 0+0x10`,
			want: []string{"{}"},
		},
		{
			alert: "RunRecordsPending", at: 10 * time.Minute,
			series: `load 1m
				rpa_run_record_oldest_pending_seconds{namespace="hr",pod="rpa-server-a"} 0+60x20
				rpa_run_record_oldest_pending_seconds{namespace="hr",pod="rpa-server-b"} 0+60x20`,
			want: nil,
		},
		{
			alert: "RunRecordsPending", at: 17 * time.Minute,
			series: `load 1m
				rpa_run_record_oldest_pending_seconds{namespace="hr",pod="rpa-server-a"} 0+60x20
				rpa_run_record_oldest_pending_seconds{namespace="hr",pod="rpa-server-b"} 0+60x20
				rpa_run_record_oldest_pending_seconds{namespace="borgerservice",pod="rpa-server-a"} 5+0x20`,
			want: []string{`{namespace="hr"}`},
		},
		{
			alert: "RPAOperatorDown", at: 5 * time.Minute,
			series: `load 1m
				up{job="rpa-operator-controller-manager-metrics-service",instance="10.0.0.7:8443"} 1+0x10`,
			want: nil,
		},
		{
			// No series at all: the manager was never scraped.
			alert: "RPAOperatorDown", at: 5 * time.Minute,
			series: `load 1m
				up{job="kubelet",instance="10.0.0.2:10250"} 1+0x10`,
			want: []string{"{}"},
		},
	}
	for _, tt := range tests {
		r, ok := rules[tt.alert]
		if !ok {
			t.Errorf("alert %s is missing", tt.alert)
			continue
		}
		got := firing(t, engine, tt.series, r.Expr, tt.at)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s at %s fires for %q, want %q\nseries:\n%s", tt.alert, tt.at, got, tt.want, tt.series)
		}
	}
}
