// Package config checks the monitoring configuration in config/ (alert
// rules and the Grafana dashboard) against the metrics the manager
// exports, and evaluates the alerts on sample series with Prometheus' own
// query engine. It needs no cluster.
package config

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/rpa-operator/rpa-operator/controllers/metrics"
	"github.com/rpa-operator/rpa-operator/internal/server/runrecorder"
)

// standardMetrics are series Prometheus makes itself, not the manager,
// with their labels.
var standardMetrics = map[string][]string{
	// Written for every scrape target; RPAOperatorDown uses it.
	"up": {"job", "instance", "namespace", "service", "pod", "endpoint"},
}

// histogramSeries are the series a histogram is exposed as, and the label
// each adds.
var histogramSeries = map[string][]string{"_bucket": {"le"}, "_sum": nil, "_count": nil}

// knownMetrics maps every series name a query may select to the labels
// it has: the manager's and rpa-server's metrics (histograms as their
// series) and Prometheus' own.
func knownMetrics(t *testing.T) map[string][]string {
	t.Helper()
	exported := metrics.Exported()
	if len(exported) == 0 {
		t.Fatal("the controllers package reports no metrics")
	}
	// rpa-server's metrics of the run records.
	maps.Copy(exported, runrecorder.Exported())
	known := map[string][]string{}
	for name, labels := range exported {
		known[name] = labels
		for suffix, extra := range histogramSeries {
			known[name+suffix] = append(slices.Clone(labels), extra...)
		}
	}
	for name, labels := range standardMetrics {
		known[name] = labels
	}
	return known
}

// checkQuery parses expr and returns what is wrong with it: a parse error,
// no metric at all, a metric the manager does not export, or a matcher on
// a label the metric does not have. It also returns the metrics it uses.
func checkQuery(known map[string][]string, expr string) (used []string, problems []string) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return nil, []string{err.Error()}
	}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		used = append(used, vs.Name)
		labelNames, ok := known[vs.Name]
		if !ok {
			problems = append(problems, fmt.Sprintf("metric %q is not exported by the manager", vs.Name))
			return nil
		}
		for _, m := range vs.LabelMatchers {
			if m.Name != model.MetricNameLabel && !slices.Contains(labelNames, m.Name) {
				problems = append(problems, fmt.Sprintf("metric %q has no label %q (it has %v)", vs.Name, m.Name, labelNames))
			}
		}
		return nil
	})
	if len(used) == 0 {
		problems = append(problems, "selects no metric")
	}
	return used, problems
}

// grafanaVariables replaces the variables Grafana fills in before it sends
// a query, with values of the kind it would use.
var grafanaVariables = strings.NewReplacer(
	"$__rate_interval", "4m", "$__interval", "1m", "$__range", "24h",
	"$namespace", ".*", "$robot", ".*",
)

func readRepoFile(t *testing.T, path ...string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(append([]string{"..", ".."}, path...)...))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// The check itself must reject what it exists to reject.
func TestCheckQueryRejectsUnknownMetricsAndLabels(t *testing.T) {
	known := knownMetrics(t)
	tests := []struct {
		expr, want string
	}{
		{`rate(rpa_no_such_metric_total[5m]) > 0 and on() up`, `metric "rpa_no_such_metric_total" is not exported`},
		{`sum(rpa_robotruns_failed_total{phase="Failed"})`, `has no label "phase"`},
		{`sum(rate(rpa_robotruns_finished_total[5m]`, `unclosed`},
		{`vector(time()) > 0`, `selects no metric`},
	}
	for _, tt := range tests {
		_, problems := checkQuery(known, tt.expr)
		if !strings.Contains(strings.Join(problems, "; "), tt.want) {
			t.Errorf("%s: problems %q, want one containing %q", tt.expr, problems, tt.want)
		}
	}
	if _, problems := checkQuery(known, `histogram_quantile(0.9, sum by (le) (rate(rpa_robotrun_duration_seconds_bucket{robot="x", le="+Inf"}[5m])))`); len(problems) > 0 {
		t.Errorf("a valid histogram query was rejected: %v", problems)
	}
}
