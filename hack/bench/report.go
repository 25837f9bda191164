package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// stats summarise one side's arrivals over the measured instants.
type stats struct {
	created, missed, doubled int
	p50, p99, max            time.Duration
}

// computeStats counts, per owner and instant, what arrived: none is a
// missed time, more than one a time run twice; and the lag percentiles.
func computeStats(arrivals []arrival, n int, instants []time.Time) stats {
	type key struct {
		owner string
		at    int64 // Unix seconds: see observer.sides
	}
	per := map[key]int{}
	lags := make([]time.Duration, 0, len(arrivals))
	for _, a := range arrivals {
		per[key{a.owner, a.scheduled.Unix()}]++
		lags = append(lags, a.seen.Sub(a.scheduled))
	}
	s := stats{created: len(arrivals)}
	for _, count := range per {
		if count > 1 {
			s.doubled += count - 1
		}
	}
	s.missed = n*len(instants) - len(per)
	slices.Sort(lags)
	s.p50, s.p99 = percentile(lags, 0.50), percentile(lags, 0.99)
	if len(lags) > 0 {
		s.max = lags[len(lags)-1]
	}
	return s
}

// percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

// ratio is our p99 over the CronJob controller's; "ahead" when even our
// p99 arrived before the scheduled time (RobotRuns created ahead of it).
func ratio(ours, theirs stats) string {
	if ours.created > 0 && ours.p99 <= 0 {
		return "ahead"
	}
	if theirs.p99 <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(ours.p99)/float64(theirs.p99))
}

// printTable prints the results so far, one row per scenario and side.
func printTable(w io.Writer, results []result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "N\tCLIENT QPS\tSIDE\tCREATED\tMISSED\tDOUBLED\tP50\tP99\tMAX\tP99 RATIO")
	for _, r := range results {
		row := func(side string, s stats, ratioText string) {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", r.n, r.qps, side,
				s.created, s.missed, s.doubled, ms(s.p50), ms(s.p99), ms(s.max), ratioText)
		}
		row("RobotRun", r.runs, ratio(r.runs, r.cronJobs))
		row("Robot's Job", r.robotJobs, ratio(r.robotJobs, r.cronJobs))
		row("CronJob's Job", r.cronJobs, "")
	}
	_ = tw.Flush()
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nN\tCLIENT QPS\tMANAGER PEAK RSS\tCPU SECONDS\tREQUESTS PER RUN (manager)\t"+
		"MACHINE CPUS BUSY\tAPISERVER WRITES/S (all clients)\tAPF REJECTED")
	for _, r := range results {
		fmt.Fprintf(tw, "%d\t%s\t%.0f MiB\t%.1f\t%s\t%.2f of %d\t%.0f\t%.0f\n", r.n, r.qps, r.peakRSSMiB, r.cpuSeconds,
			requestsText(r.requestsPerRun), r.load.busyCores, runtime.NumCPU(), r.load.writesPerSecond, r.load.rejectedRequests)
	}
	_ = tw.Flush()
}

// printThroughput prints the manual-runs measurement, if it was made.
func printThroughput(w io.Writer, t *throughputResult) {
	if t == nil {
		return
	}
	rate := func(d time.Duration) float64 { return float64(t.runs) / d.Seconds() }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nMANUAL RUNS\tRAW JOB CREATES (ceiling)\tRUN POSTS (benchmark)\tRUNS TO JOBS\tOF CEILING\tPODS RUNNING TO RUNS RUNNING\t"+
		"MANAGER PEAK RSS\tREQUESTS PER RUN (manager)")
	fmt.Fprintf(tw, "%d\t%s (%.0f/s)\t%s\t%s (%.0f/s)\t%.0f%%\t%s\t%.0f MiB\t%s\n", t.runs,
		ms(t.rawJobs), rate(t.rawJobs), ms(t.runPosts), ms(t.toJobs), rate(t.toJobs), 100*rate(t.toJobs)/rate(t.rawJobs),
		ms(t.toRunning), t.peakRSSMiB, requestsText(t.requestsPerRun))
	_ = tw.Flush()
}

func requestsText(per map[string]float64) string {
	methods := make([]string, 0, len(per))
	total := 0.0
	for m, v := range per {
		methods = append(methods, m)
		total += v
	}
	sort.Strings(methods)
	parts := make([]string, 0, len(methods))
	for _, m := range methods {
		parts = append(parts, fmt.Sprintf("%s %.2f", m, per[m]))
	}
	return fmt.Sprintf("%.2f (%s)", total, strings.Join(parts, ", "))
}

// Markers around the generated part of the report: the rest of the file
// (what the numbers mean) is written by people and kept.
const (
	beginResults = "<!-- results: written by hack/bench -->"
	endResults   = "<!-- end of results -->"
)

// writeReport writes the results, the machine and the command into
// opts.out, between the markers when the file has them.
func writeReport(opts options, results []result, throughput *throughputResult) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nMeasured %s with `go run ./hack/bench %s`\n", beginResults,
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), strings.Join(os.Args[1:], " "))
	fmt.Fprintf(&b, "on %d CPUs, %s (%s/%s, %s).\n\n```\n", runtime.NumCPU(), memTotal(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	printTable(&b, results)
	printThroughput(&b, throughput)
	b.WriteString("```\n" + endResults)
	report := b.String()
	if old, err := os.ReadFile(opts.out); err == nil {
		text := string(old)
		if i, j := strings.Index(text, beginResults), strings.Index(text, endResults); i >= 0 && j > i {
			report = text[:i] + report + text[j+len(endResults):]
		}
	}
	return os.WriteFile(opts.out, []byte(report), 0o644)
}

// memTotal is the machine's memory, from /proc/meminfo.
func memTotal() string {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "memory unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if fields := strings.Fields(line); len(fields) >= 2 && fields[0] == "MemTotal:" {
			return fields[1] + " kB memory"
		}
	}
	return "memory unknown"
}
