package main

import (
	"strings"
	"testing"
	"time"
)

// apiserverSample is part of what kube-apiserver's /metrics serves.
const apiserverSample = `# HELP apiserver_request_total [STABLE] Counter of apiserver requests.
# TYPE apiserver_request_total counter
apiserver_request_total{code="201",component="apiserver",dry_run="",group="batch",resource="jobs",scope="resource",subresource="",verb="POST",version="v1"} 1000
apiserver_request_total{code="200",component="apiserver",dry_run="",group="rpa.dev",resource="robotruns",scope="resource",subresource="status",verb="PATCH",version="v1alpha1"} 400
apiserver_request_total{code="409",component="apiserver",dry_run="",group="rpa.dev",resource="robotruns",scope="resource",subresource="",verb="POST",version="v1alpha1"} 5
apiserver_request_total{code="200",component="apiserver",dry_run="",group="rpa.dev",resource="robots",scope="resource",subresource="status",verb="PUT",version="v1alpha1"} 3
apiserver_request_total{code="200",component="apiserver",dry_run="",group="rpa.dev",resource="robotruns",scope="resource",subresource="",verb="DELETE",version="v1alpha1"} 2
apiserver_request_total{code="200",component="apiserver",dry_run="",group="batch",resource="jobs",scope="namespace",subresource="",verb="LIST",version="v1"} 70
apiserver_request_total{code="200",component="apiserver",dry_run="",group="batch",resource="jobs",scope="namespace",subresource="",verb="WATCH",version="v1"} 9
apiserver_request_total{code="200",component="apiserver",dry_run="",group="rpa.dev",resource="robots",scope="resource",subresource="",verb="GET",version="v1alpha1"} 11
# HELP apiserver_flowcontrol_rejected_requests_total [BETA] Number of requests rejected by API Priority and Fairness subsystem
# TYPE apiserver_flowcontrol_rejected_requests_total counter
apiserver_flowcontrol_rejected_requests_total{flow_schema="global-default",priority_level="global-default",reason="queue-full"} 6
apiserver_flowcontrol_rejected_requests_total{flow_schema="workload-low",priority_level="workload-low",reason="time-out"} 1
`

func TestWritesAndRejectedCountWritesOfEveryClientAndResource(t *testing.T) {
	families, err := parseMetrics(strings.NewReader(apiserverSample))
	if err != nil {
		t.Fatal(err)
	}
	writes, rejected := writesAndRejected(families)
	// POST 1000 + 5 (refused writes cost the apiserver too), PATCH 400,
	// PUT 3, DELETE 2; not LIST, WATCH or GET.
	if writes != 1410 || rejected != 7 {
		t.Errorf("writes %v rejected %v, want 1410 and 7", writes, rejected)
	}
}

func TestWritesAndRejectedWithoutTheMetrics(t *testing.T) {
	families, err := parseMetrics(strings.NewReader("# TYPE other_total counter\nother_total 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if writes, rejected := writesAndRejected(families); writes != 0 || rejected != 0 {
		t.Errorf("writes %v rejected %v, want 0 and 0", writes, rejected)
	}
}

func TestLoadBetweenIsPerSecondOfWallTime(t *testing.T) {
	a := loadSnapshot{at: t0, busy: 1000, writes: 100, rejected: 1}
	b := loadSnapshot{at: t0.Add(10 * time.Second), busy: 1019, writes: 2100, rejected: 4}
	got := loadBetween(a, b)
	if got.busyCores != 1.9 || got.writesPerSecond != 200 || got.rejectedRequests != 3 {
		t.Errorf("got %+v, want 1.9 CPUs busy, 200 writes/s, 3 rejected", got)
	}
	if zero := loadBetween(b, b); zero != (load{}) {
		t.Errorf("no time between: %+v", zero)
	}
}
