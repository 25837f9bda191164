package main

import (
	"fmt"
	"io"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/procfs"
)

// loadSnapshot is how much the machine and kube-apiserver had done at one
// moment. Two of them, at the start and end of the measured minutes, say
// whether the control plane, not the controllers, was the limit: when the
// machine's CPUs are busy all the time and the apiserver serves fewer
// writes a second than the schedules ask for, no controller can keep time.
type loadSnapshot struct {
	at time.Time
	// busy is the machine's CPU seconds, all CPUs together (/proc/stat),
	// spent on anything but idling and waiting for I/O.
	busy float64
	// writes are the write requests (POST, PUT, PATCH, DELETE, APPLY) the
	// apiserver has served so far, from all its clients;
	// rejected, the requests API Priority and Fairness turned away.
	writes, rejected float64
}

// load is what happened between two snapshots.
type load struct {
	busyCores        float64 // the machine's CPUs busy, in CPUs
	writesPerSecond  float64
	rejectedRequests float64
}

// writeVerbs are apiserver_request_total's verbs that change objects.
var writeVerbs = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "DELETE": true, "DELETECOLLECTION": true, "APPLY": true}

// takeLoadSnapshot reads /proc/stat and the apiserver's own metrics.
func takeLoadSnapshot(c *cluster) (loadSnapshot, error) {
	s := loadSnapshot{at: time.Now()}
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return s, err
	}
	stat, err := fs.Stat()
	if err != nil {
		return s, err
	}
	s.busy = cpuBusy(stat.CPUTotal)
	families, err := scrape(c.apiserver, c.host+"/metrics")
	if err != nil {
		return s, err
	}
	s.writes, s.rejected = writesAndRejected(families)
	return s, nil
}

func cpuBusy(c procfs.CPUStat) float64 {
	return c.User + c.Nice + c.System + c.IRQ + c.SoftIRQ + c.Steal
}

// scrape reads Prometheus metrics in the text format from url.
func scrape(hc *http.Client, url string) (map[string]*dto.MetricFamily, error) {
	body, err := get(hc, url)
	if err != nil {
		return nil, err
	}
	defer func() { _ = body.Close() }()
	return parseMetrics(body)
}

// get is the body of a GET of url that answered 200 OK.
func get(hc *http.Client, url string) (io.ReadCloser, error) {
	resp, err := hc.Get(url)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		_ = resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return resp.Body, nil
}

func parseMetrics(r io.Reader) (map[string]*dto.MetricFamily, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(r)
}

// writesAndRejected sums the apiserver's write requests and its API
// Priority and Fairness rejections.
func writesAndRejected(families map[string]*dto.MetricFamily) (writes, rejected float64) {
	if f := families["apiserver_request_total"]; f != nil {
		for _, m := range f.GetMetric() {
			if writeVerbs[label(m, "verb")] {
				writes += m.GetCounter().GetValue()
			}
		}
	}
	if f := families["apiserver_flowcontrol_rejected_requests_total"]; f != nil {
		for _, m := range f.GetMetric() {
			rejected += m.GetCounter().GetValue()
		}
	}
	return writes, rejected
}

// label is the value of a metric's label, "" when it has none of that name.
func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// loadBetween is the load from snapshot a to snapshot b.
func loadBetween(a, b loadSnapshot) load {
	seconds := b.at.Sub(a.at).Seconds()
	if seconds <= 0 {
		return load{}
	}
	return load{
		// CPU seconds busy per second: how many CPUs were busy on average.
		busyCores:        (b.busy - a.busy) / seconds,
		writesPerSecond:  (b.writes - a.writes) / seconds,
		rejectedRequests: b.rejected - a.rejected,
	}
}
