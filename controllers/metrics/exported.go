package metrics

import (
	"regexp"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// descName and descLabels find the metric name and its variable labels in
// a Desc's String(), the only place the client library exposes them.
var (
	descName   = regexp.MustCompile(`fqName: "([^"]+)"`)
	descLabels = regexp.MustCompile(`variableLabels: \{([^}]*)\}\}$`)
)

// Exported returns the metrics a Recorder exports, as Prometheus sees them
// (histograms by their base name), with their label names. Tests of the
// alert rules and the dashboard check their queries against it.
func Exported() map[string][]string {
	out := map[string][]string{}
	for _, c := range NewRecorder().collectors() {
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
