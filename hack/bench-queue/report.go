package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/rpa-operator/rpa-operator/hack/internal/benchenv"
)

// printTables writes the results as Markdown, as docs/benchmarks.md shows
// them: the rates and take latencies, each API row as a share of the
// floor measured in the same run, then where the CPU went.
func printTables(w io.Writer, opts options, results []result) {
	fmt.Fprintf(w, "\n%d robots, %d items measured per path after %d warm-up items, on %d CPUs (%s/%s, %s).\n\n",
		opts.robots, opts.items, opts.warmup, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	if opts.robotsNotReviewed {
		fmt.Fprint(w, "What-if (-what-if-robots-not-reviewed), not how rpa-server runs: rpa-server allowed the robots "+
			"without a SubjectAccessReview.\n\n")
	}
	fmt.Fprintln(w, "| run | path | items taken and done per second | p50 of a take | p99 of a take | share of the floor |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range results {
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s |\n",
			r.run, r.path, benchenv.Thousands(r.perSecond()), benchenv.Millis(r.p50), benchenv.Millis(r.p99), share(r, floorOf(results, r.run)))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "CPU seconds per 1,000 items, over the same windows:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| run | path | this process (rpa-server and the robots; the floor's takers) "+
		"| kube-apiserver | etcd | PostgreSQL | all CPUs busy, on average |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, r := range results {
		per := func(seconds float64) string { return fmt.Sprintf("%.2f", seconds*1000/float64(max(r.done, 1))) }
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %.2f of %d |\n", r.run, r.path,
			per(r.cpu.Self), per(r.cpu.KubeAPIServer), per(r.cpu.Etcd), per(r.cpu.postgres),
			r.cpu.Busy/r.window.Seconds(), runtime.NumCPU())
	}
}

// floorOf is the floor's result of the run, if it was measured.
func floorOf(results []result, run int) *result {
	for i, r := range results {
		if r.run == run && r.path == floorPath {
			return &results[i]
		}
	}
	return nil
}

func share(r result, floor *result) string {
	if r.path == floorPath || floor == nil {
		return "–"
	}
	return fmt.Sprintf("%.0f %%", 100*r.perSecond()/floor.perSecond())
}
