package main

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)

func TestComputeStatsCountsMissedAndDoubledTimes(t *testing.T) {
	instants := []time.Time{t0, t0.Add(time.Minute)}
	at := func(owner string, instant time.Time, lag time.Duration) arrival {
		return arrival{owner: owner, scheduled: instant, seen: instant.Add(lag)}
	}
	arrivals := []arrival{
		at("a", t0, 100*time.Millisecond),
		at("b", t0, 300*time.Millisecond),
		at("a", t0.Add(time.Minute), 200*time.Millisecond),
		// b's second minute is missing; a's second minute came twice.
		at("a", t0.Add(time.Minute), 900*time.Millisecond),
	}
	s := computeStats(arrivals, 2, instants)
	if s.created != 4 || s.missed != 1 || s.doubled != 1 {
		t.Errorf("created %d missed %d doubled %d, want 4 1 1", s.created, s.missed, s.doubled)
	}
	if s.p50 != 200*time.Millisecond || s.p99 != 900*time.Millisecond || s.max != 900*time.Millisecond {
		t.Errorf("p50 %s p99 %s max %s", s.p50, s.p99, s.max)
	}
}

func TestPercentileIsNearestRank(t *testing.T) {
	var lags []time.Duration
	for i := 1; i <= 200; i++ {
		lags = append(lags, time.Duration(i)*time.Millisecond)
	}
	tests := []struct {
		p    float64
		want time.Duration
	}{{0.50, 100 * time.Millisecond}, {0.99, 198 * time.Millisecond}, {1, 200 * time.Millisecond}}
	for _, tt := range tests {
		if got := percentile(lags, tt.p); got != tt.want {
			t.Errorf("p%.0f = %s, want %s", tt.p*100, got, tt.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("empty: %s", got)
	}
}

func TestMeasuredMinutesSkipTheMinuteTheObjectsWereCreatedIn(t *testing.T) {
	got := measuredMinutes(t0.Add(42*time.Second), 3)
	want := []time.Time{t0.Add(2 * time.Minute), t0.Add(3 * time.Minute), t0.Add(4 * time.Minute)}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Fatalf("instants %v, want %v", got, want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	opts, err := parseFlags([]string{"-n", "100, 5000", "-qps", "default,1000", "-minutes", "4"})
	if err != nil {
		t.Fatal(err)
	}
	if len(opts.sizes) != 2 || opts.sizes[1] != 5000 || opts.qps[1] != "1000" || opts.minutes != 4 {
		t.Errorf("parsed %+v", opts)
	}
	for _, bad := range [][]string{{"-n", "0"}, {"-qps", "fast"}, {"-minutes", "2"}} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	manager, kcm := scenario{n: 1, qps: "1000"}.clientFlags()
	if manager[0] != "--kube-api-qps=1000" || kcm[1] != "--kube-api-burst=2000" {
		t.Errorf("client flags %v %v", manager, kcm)
	}
}

// A Job's annotation is parsed in UTC while a RobotRun's time decodes in
// local time: the same instant must match either way.
func TestSidesMatchInstantsWhateverTheLocation(t *testing.T) {
	o := newObserver()
	cet := time.FixedZone("CET", 3600)
	o.cronJobs["job"] = arrival{owner: "c", scheduled: t0.UTC(), seen: t0.Add(time.Second)}
	o.runs["run"] = arrival{owner: "r", scheduled: t0.In(cet), seen: t0.Add(time.Second)}
	runs, _, cron := o.sides([]time.Time{t0.In(time.Local)})
	if len(runs) != 1 || len(cron) != 1 {
		t.Fatalf("runs %d cron %d, want 1 and 1", len(runs), len(cron))
	}
	if s := computeStats(append(runs, arrival{owner: "r", scheduled: t0.UTC()}), 1, []time.Time{t0}); s.doubled != 1 {
		t.Errorf("the same instant in two locations was not seen as doubled: %+v", s)
	}
}

func TestRatio(t *testing.T) {
	tests := []struct {
		name         string
		ours, theirs stats
		want         string
	}{
		{"a fifth", stats{created: 1, p99: time.Second}, stats{created: 1, p99: 5 * time.Second}, "0.20"},
		{"created ahead of the time", stats{created: 1, p99: -time.Second}, stats{created: 1, p99: 5 * time.Second}, "ahead"},
		{"nothing of theirs", stats{created: 1, p99: time.Second}, stats{}, "-"},
		{"nothing of ours either", stats{}, stats{}, "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ratio(tt.ours, tt.theirs); got != tt.want {
				t.Errorf("ratio = %q, want %q", got, tt.want)
			}
		})
	}
}
