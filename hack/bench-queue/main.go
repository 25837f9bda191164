// Command bench-queue measures the work-item API against its floor
// (issue 19, docs/benchmarks.md): how many items 16 robots take and report
// done per second through rpa-server's API, and how long a take takes,
// next to the same store transactions called straight from one process.
//
// It starts a real PostgreSQL (hack/postgres.sh), etcd and kube-apiserver
// (envtest, from the binaries hack/k8s-binaries.sh builds) with the
// operator's CRDs and the aggregation layer, and rpa-server's API server in
// this process on the store, with authentication and authorization
// delegated to kube-apiserver as in a cluster. Each run measures three
// paths over a fresh queue of -items items:
//
//   - floor: 16 goroutines call store.Take and store.Complete directly;
//   - direct: 16 robot pods, each with its own bound token, call
//     rpa-server over HTTPS through the SDK's sdk.Queue;
//   - aggregated: the same through kube-apiserver, which authenticates,
//     authorizes and proxies to rpa-server (APIService v1alpha1.queue.rpa.dev).
//
// The first -warmup items of each path are not measured: they fill the
// delegated authenticator's and authorizer's caches (TokenReview and
// SubjectAccessReview answers, kept 10 s), open the connections and spend
// the authorizer client's burst, so the figures are the steady state.
// Each queue is analyzed (ANALYZE) once filled, as autovacuum would have
// in a database that runs for longer than a benchmark.
//
// It prints Markdown tables: items per second, take latency and share of
// the floor for each path and run, and where the CPU went. Every process it
// starts is stopped by the process it recorded: envtest's etcd and
// kube-apiserver, PostgreSQL by its postmaster.pid.
//
//	go run ./hack/bench-queue -items 5000 -runs 3
//	go run ./hack/bench-queue -paths direct -robots 32 -profile /tmp/prof
//	go run ./hack/bench-queue -what-if-robots-not-reviewed   # without the per-item SubjectAccessReview
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// options are the benchmark's flags.
type options struct {
	items, warmup, robots, runs int
	// paths are measured in this order in every run.
	paths []path
	// robotsNotReviewed is a what-if, not how rpa-server runs: rpa-server
	// allows every ServiceAccount without asking kube-apiserver
	// (SubjectAccessReview), to show what the review of each item's done
	// costs.
	robotsNotReviewed bool
	root              string
	// profileDir, if set, receives a CPU profile of this process (rpa-server
	// and the robots) and of kube-apiserver over each measured API path.
	profileDir string
	// serverLog receives what k8s.io/apiserver logs; empty discards it.
	serverLog string
}

// progress is the real standard error, for the benchmark's own lines:
// os.Stderr is pointed elsewhere (quietServerLogs).
var progress = os.Stderr

func main() {
	// envtest and controller-runtime log through logr; the benchmark
	// reports on its own.
	ctrllog.SetLogger(logr.Discard())
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(progress, "bench-queue:", err)
		os.Exit(2)
	}
	if err := quietServerLogs(opts.serverLog); err != nil {
		fmt.Fprintln(progress, "bench-queue:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, opts)
	stop()
	if err != nil {
		fmt.Fprintln(progress, "bench-queue:", err)
		os.Exit(1)
	}
}

// quietServerLogs sends what k8s.io/apiserver logs (through klog, which
// writes to os.Stderr as it is at each line) to path, or nowhere, so that
// the tables are not lost among its lines. klog is not imported for this:
// the module requires it only indirectly.
func quietServerLogs(path string) error {
	if path == "" {
		path = os.DevNull
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("-server-log: %w", err)
	}
	os.Stderr = f
	return nil
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("bench-queue", flag.ContinueOnError)
	var o options
	fs.IntVar(&o.items, "items", 5000, "items measured per path and run (the queue holds these and the warm-up's)")
	fs.IntVar(&o.warmup, "warmup", 1000, "items taken and done first on each path, not measured")
	fs.IntVar(&o.robots, "robots", 16, "robots (pods, each with its own token) taking items at once")
	fs.IntVar(&o.runs, "runs", 1, "how many times to measure each path")
	paths := fs.String("paths", "floor,direct,aggregated",
		"comma-separated paths to measure: floor (the store from one process), direct (rpa-server's API), aggregated (through kube-apiserver)")
	fs.BoolVar(&o.robotsNotReviewed, "what-if-robots-not-reviewed", false,
		"what-if, not how rpa-server runs: rpa-server authorizes the robots' ServiceAccounts without a SubjectAccessReview")
	fs.StringVar(&o.root, "root", ".", "the repository root")
	fs.StringVar(&o.profileDir, "profile", "", "directory for CPU profiles of this process and of kube-apiserver over each API path")
	fs.StringVar(&o.serverLog, "server-log", "", "file for what rpa-server's API server logs (default: discarded)")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if o.items < 1 || o.robots < 1 || o.runs < 1 || o.warmup < 0 {
		return options{}, fmt.Errorf("-items, -robots and -runs must be positive, -warmup not negative")
	}
	for _, name := range strings.Split(*paths, ",") {
		p, ok := pathNamed(strings.TrimSpace(name))
		if !ok {
			return options{}, fmt.Errorf("-paths: %q is not floor, direct or aggregated", name)
		}
		o.paths = append(o.paths, p)
	}
	return o, nil
}

// aggregated tells whether the aggregation layer is measured, and so
// rpa-server must be registered as an APIService.
func (o options) aggregated() bool { return slices.Contains(o.paths, aggregatedPath) }

// run starts everything, measures each path -runs times, interleaved so
// that a slow moment of the machine does not fall on one path only, and
// prints the tables.
func run(ctx context.Context, opts options) error {
	env, err := startEnvironment(ctx, opts)
	defer env.stop()
	if err != nil {
		return err
	}
	var results []result
	for r := 1; r <= opts.runs; r++ {
		for _, p := range opts.paths {
			res, err := measure(ctx, env, opts, p, r)
			if err != nil {
				return fmt.Errorf("run %d, %s: %w", r, p, err)
			}
			fmt.Fprintf(progress, "bench-queue: run %d, %s: %.0f items/s\n", r, p, res.perSecond())
			results = append(results, res)
		}
	}
	printTables(os.Stdout, opts, results)
	return nil
}
