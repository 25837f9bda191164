// Package config checks the monitoring configuration in config/ against the
// metrics the manager exports. It needs no cluster.
package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/yaml"

	"github.com/rpa-operator/rpa-operator/controllers"
)

// standardMetrics are series Prometheus makes itself, not the manager.
var standardMetrics = map[string]string{
	"up": "written by Prometheus for every scrape target; RPAOperatorDown uses it",
}

// histogramSuffixes are the series a histogram is exposed as.
var histogramSuffixes = []string{"_bucket", "_sum", "_count"}

func knownMetrics() map[string]bool {
	known := map[string]bool{}
	for _, n := range controllers.MetricNames() {
		known[n] = true
		for _, s := range histogramSuffixes {
			known[n+s] = true
		}
	}
	for n := range standardMetrics {
		known[n] = true
	}
	return known
}

// metricNames parses expr and returns the metric names it selects.
func metricNames(expr string) ([]string, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	var names []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			names = append(names, vs.Name)
		}
		return nil
	})
	return names, nil
}

type rule struct {
	Alert       string            `json:"alert"`
	For         string            `json:"for"`
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

func TestAlertRulesUseExportedMetrics(t *testing.T) {
	known := knownMetrics()
	if len(controllers.MetricNames()) == 0 {
		t.Fatal("the controllers package reports no metrics")
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "prometheus", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var pr prometheusRule
	if err := yaml.UnmarshalStrict(data, &pr); err != nil {
		t.Fatal(err)
	}
	if pr.Kind != "PrometheusRule" {
		t.Fatalf("kind %q, want PrometheusRule", pr.Kind)
	}
	alerts := 0
	for _, g := range pr.Spec.Groups {
		for _, r := range g.Rules {
			alerts++
			names, err := metricNames(r.Expr)
			if err != nil {
				t.Errorf("%s: %v", r.Alert, err)
				continue
			}
			if len(names) == 0 {
				t.Errorf("%s: expression selects no metric", r.Alert)
			}
			for _, n := range names {
				if !known[n] {
					t.Errorf("%s: metric %q is not exported by the manager", r.Alert, n)
				}
			}
			if r.Labels["severity"] == "" {
				t.Errorf("%s: no severity label", r.Alert)
			}
			for _, a := range []string{"summary", "description"} {
				if r.Annotations[a] == "" {
					t.Errorf("%s: no %s annotation", r.Alert, a)
				}
			}
			anchor := "docs/runbook.md#" + strings.ToLower(r.Alert)
			if !strings.HasSuffix(r.Annotations["runbook_url"], anchor) {
				t.Errorf("%s: runbook_url %q does not end in %s", r.Alert, r.Annotations["runbook_url"], anchor)
			}
			runbook, err := os.ReadFile(filepath.Join("..", "..", "docs", "runbook.md"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(runbook), "\n## "+r.Alert+"\n") {
				t.Errorf("%s: docs/runbook.md has no section ## %s", r.Alert, r.Alert)
			}
		}
	}
	if alerts == 0 {
		t.Fatal("no alerts in rules.yaml")
	}
}

// The check itself must reject a metric the manager does not export.
func TestUnknownMetricIsRejected(t *testing.T) {
	known := knownMetrics()
	names, err := metricNames(`rate(rpa_no_such_metric_total[5m]) > 0 and on() up`)
	if err != nil {
		t.Fatal(err)
	}
	var unknown []string
	for _, n := range names {
		if !known[n] {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) != 1 || unknown[0] != "rpa_no_such_metric_total" {
		t.Fatalf("unknown metrics %v, want [rpa_no_such_metric_total]", unknown)
	}
}
