package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/rpa-operator/rpa-operator/hack/internal/benchenv"
)

// printTables writes the results as Markdown, as docs/benchmarks.md shows
// them: the times and what each path asked kube-apiserver, then where
// the CPU went.
func printTables(w io.Writer, opts options, f *fleet, results []result) {
	fmt.Fprintf(w, "\n%s Robots with %s RobotRuns and %d WorkQueues in %d namespaces, all of which the person may see; "+
		"%d pages measured per path and run after %d warm-up pages, one at a time; the console's own credential: %s; "+
		"on %d CPUs (%s/%s, %s).\n\n",
		benchenv.Thousands(float64(opts.robots)), benchenv.Thousands(float64(f.runs.Load())), opts.queues, len(f.namespaces),
		opts.requests, opts.warmup, opts.consoleCredential, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintln(w, "| run | path | p50 | p95 | max | p95 as the client waited | requests to kube-apiserver per page "+
		"| new connections (TLS handshakes) per page | this process's connections to kube-apiserver after |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, r := range results {
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %.1f | %.2f (%.2f) | %d |\n", r.run, r.path,
			benchenv.Millis(r.percentile(50)), benchenv.Millis(r.percentile(95)), benchenv.Millis(r.percentile(100)),
			benchenv.Millis(r.waitedP95()),
			r.perPage(func(s sample) int64 { return s.calls.requests }),
			r.perPage(func(s sample) int64 { return s.calls.dials }), r.perPage(func(s sample) int64 { return s.calls.handshakes }),
			r.openConnections)
	}
	for _, r := range results {
		if r.samples[0].bytes > 0 {
			fmt.Fprintf(w, "\nRun %d, %s: %s KiB a page.", r.run, r.path, benchenv.Thousands(r.perPage(func(s sample) int64 { return s.bytes })/1024))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "CPU milliseconds per page, over the same windows:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| run | path | this process (the console and its browser; the floor's clients) | kube-apiserver | etcd "+
		"| all CPUs busy, on average | of which other processes of the machine |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, r := range results {
		per := func(seconds float64) string { return fmt.Sprintf("%.1f", seconds*1000/float64(len(r.samples))) }
		others := r.cpu.Busy - r.cpu.Self - r.cpu.KubeAPIServer - r.cpu.Etcd
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %.2f of %d | %.2f |\n", r.run, r.path,
			per(r.cpu.Self), per(r.cpu.KubeAPIServer), per(r.cpu.Etcd),
			r.cpu.Busy/r.window.Seconds(), runtime.NumCPU(), max(others, 0)/r.window.Seconds())
	}
}
