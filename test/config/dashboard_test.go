package config

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/rpa-operator/rpa-operator/controllers/metrics"
)

type dashboardTarget struct {
	RefID      string          `json:"refId"`
	Expr       string          `json:"expr"`
	Datasource json.RawMessage `json:"datasource"`
}

type dashboardPanel struct {
	ID      int               `json:"id"`
	Type    string            `json:"type"`
	Title   string            `json:"title"`
	Targets []dashboardTarget `json:"targets"`
	GridPos struct {
		X, Y, W, H int
	} `json:"gridPos"`
}

type dashboard struct {
	UID        string           `json:"uid"`
	Title      string           `json:"title"`
	Panels     []dashboardPanel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string          `json:"name"`
			Type  string          `json:"type"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

// dashboardMetrics are the manager's metrics the dashboard must show: what
// the operations issue lists (runs per robot and outcome, durations, items,
// failures, schedule lag) and everything else the manager exports, so a
// new metric does not go unseen.
func dashboardMetrics() []string {
	exported := metrics.Exported()
	names := make([]string, 0, len(exported))
	for name := range exported {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	var d dashboard
	if err := json.Unmarshal(readRepoFile(t, "config", "grafana", "rpa-robots.json"), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDashboardQueriesUseExportedMetrics(t *testing.T) {
	known := knownMetrics(t)
	d := readDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Fatalf("dashboard without uid or title: %q %q", d.UID, d.Title)
	}
	variables := make([]string, 0, len(d.Templating.List))
	for _, v := range d.Templating.List {
		variables = append(variables, v.Name)
	}
	for _, want := range []string{"datasource", "namespace", "robot"} {
		if !slices.Contains(variables, want) {
			t.Errorf("dashboard has no $%s variable (has %v)", want, variables)
		}
	}
	used := map[string]bool{}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		if p.GridPos.W == 0 || p.GridPos.H == 0 {
			t.Errorf("panel %q has no size", p.Title)
		}
		for _, target := range p.Targets {
			if !strings.Contains(string(target.Datasource), "${datasource}") {
				t.Errorf("panel %q query %s does not use the $datasource variable", p.Title, target.RefID)
			}
			names, problems := checkQuery(known, grafanaVariables.Replace(target.Expr))
			for _, problem := range problems {
				t.Errorf("panel %q query %s: %s", p.Title, target.RefID, problem)
			}
			for _, n := range names {
				used[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")] = true
			}
		}
	}
	for _, name := range dashboardMetrics() {
		if !used[name] {
			t.Errorf("the dashboard shows no panel of %s", name)
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			t.Errorf("variable %s: %v", v.Name, err)
			continue
		}
		// label_values(METRIC, LABEL): the metric must exist with the label.
		inner := strings.TrimSuffix(strings.TrimPrefix(q.Query, "label_values("), ")")
		comma := strings.LastIndex(inner, ",")
		if comma < 0 {
			t.Errorf("variable %s: query %q is not label_values(metric, label)", v.Name, q.Query)
			continue
		}
		selector, label := grafanaVariables.Replace(inner[:comma]), strings.TrimSpace(inner[comma+1:])
		names, problems := checkQuery(known, selector)
		for _, problem := range problems {
			t.Errorf("variable %s: %s", v.Name, problem)
		}
		for _, n := range names {
			if !slices.Contains(known[n], label) {
				t.Errorf("variable %s: metric %s has no label %s", v.Name, n, label)
			}
		}
	}
}

// The kustomization ships the dashboard as a ConfigMap Grafana's sidecar
// loads by its label.
func TestDashboardKustomizationLabelsTheConfigMap(t *testing.T) {
	var k struct {
		ConfigMapGenerator []struct {
			Name    string   `json:"name"`
			Files   []string `json:"files"`
			Options struct {
				Labels map[string]string `json:"labels"`
			} `json:"options"`
		} `json:"configMapGenerator"`
	}
	if err := yaml.Unmarshal(readRepoFile(t, "config", "grafana", "kustomization.yaml"), &k); err != nil {
		t.Fatal(err)
	}
	if len(k.ConfigMapGenerator) != 1 {
		t.Fatalf("%d ConfigMap generators, want 1", len(k.ConfigMapGenerator))
	}
	g := k.ConfigMapGenerator[0]
	if !slices.Contains(g.Files, "rpa-robots.json") || g.Options.Labels["grafana_dashboard"] != "1" {
		t.Errorf("generator %s: files %v, labels %v; want rpa-robots.json with grafana_dashboard=1", g.Name, g.Files, g.Options.Labels)
	}
}

// docs/monitoring.md documents every metric the manager exports.
func TestMonitoringDocsListEveryMetric(t *testing.T) {
	doc := string(readRepoFile(t, "docs", "monitoring.md"))
	for _, name := range dashboardMetrics() {
		if !strings.Contains(doc, "| `"+name+"` |") {
			t.Errorf("docs/monitoring.md has no table row for %s", name)
		}
	}
}
