// Command bench-console measures the web console's overview against its
// floor (issue 21, docs/benchmarks.md): how long the console takes to
// serve GET / for a person who may see 1,000 Robots and 10 WorkQueues,
// next to the same requests made straight to kube-apiserver with the same
// token.
//
// It starts etcd and kube-apiserver (envtest, from the binaries
// hack/k8s-binaries.sh builds) with the operator's CRDs and creates the
// fleet: -robots Robots over -namespaces namespaces, each with
// -runs-per-robot RobotRuns (some failed today, a few are running), and
// -queues WorkQueues with item counts, their statuses written as the
// manager and rpa-server write them. Neither runs, nor does PostgreSQL:
// the overview reads only what is in the objects. The person is a
// ServiceAccount bound in every namespace to the shipped rpa-robot-viewer
// role, with a token from the TokenRequest API, so kube-apiserver
// authenticates and authorizes every request for real. The console runs
// in this process as cmd/rpa-console runs it, behind HTTPS, and the
// person signs in with the token.
//
// Each run measures, one page at a time as one person's browser would:
//
//   - kube-apiserver: the overview's requests (a SelfSubjectReview, then
//     for each namespace its Robots, its RobotRuns that did not succeed,
//     selected by status.phase, and its WorkQueues, as many namespaces at
//     once as the console reads) with the person's token, the answers
//     read but not decoded;
//   - lists: the same through the console's clients for the person
//     (kube.Factory.For), made once and kept, the answers decoded;
//   - console: GET / from the console, timed inside its server, so the
//     time is the server's, not the browser's.
//
// -what-if-parallel-lists adds a path that is not the console's: the
// same lists with every namespace's made at once (the console reads
// console.OverviewParallelism at a time). The first -warmup pages
// of each path are not measured. It prints Markdown tables: p50, p95 and
// max per path, what each path asked kube-apiserver and how many
// connections it opened, and where the CPU went. etcd and kube-apiserver
// are stopped by the processes envtest recorded.
//
//	go run ./hack/bench-console -robots 1000 -queues 10
//	go run ./hack/bench-console -runs 3 -console-credential token -what-if-parallel-lists
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/rpa-operator/rpa-operator/hack/internal/benchenv"
)

// options are the benchmark's flags.
type options struct {
	robots, namespaces, queues, runsPerRobot int
	requests, warmup, runs                   int
	// consoleCredential is what the console itself reaches kube-apiserver
	// with (every page is read with the person's token).
	consoleCredential credential
	root              string
	// whatIfParallel adds a path that is not the console's: the lists of
	// every namespace at once, to show what that would save.
	whatIfParallel bool
	// profileDir, if set, receives a CPU profile of this process over each
	// run's console window.
	profileDir string
}

func main() {
	// envtest and controller-runtime log through logr; the benchmark
	// reports on its own.
	ctrllog.SetLogger(logr.Discard())
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		benchenv.Say("%v", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, opts)
	stop()
	if err != nil {
		benchenv.Say("%v", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("bench-console", flag.ContinueOnError)
	var o options
	fs.IntVar(&o.robots, "robots", 1000, "Robots in all, spread over the namespaces")
	fs.IntVar(&o.namespaces, "namespaces", 10, "namespaces (departments) the console shows, all of which the person may see")
	fs.IntVar(&o.queues, "queues", 10, "WorkQueues in all, spread over the namespaces")
	fs.IntVar(&o.runsPerRobot, "runs-per-robot", 3, "RobotRuns of each Robot, one a day (a robot that failed earlier today has one more)")
	fs.IntVar(&o.requests, "requests", 200, "pages (or sets of requests) measured per path and run")
	fs.IntVar(&o.warmup, "warmup", 20, "pages first made on each path, not measured")
	fs.IntVar(&o.runs, "runs", 1, "how many times to measure each path")
	cred := fs.String("console-credential", string(noCredential),
		"what the console itself reaches kube-apiserver with: none (its CA only, as config/console runs it) "+
			"or token (a ServiceAccount token of its own, with which it reads API discovery)")
	fs.BoolVar(&o.whatIfParallel, "what-if-parallel-lists", false,
		"what-if, not what the console does: also measure the overview's lists with every namespace's made at once")
	fs.StringVar(&o.root, "root", ".", "the repository root")
	fs.StringVar(&o.profileDir, "profile", "", "directory for a CPU profile of this process over each console window")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if o.robots < 1 || o.namespaces < 1 || o.queues < 0 || o.runsPerRobot < 0 || o.requests < 1 || o.warmup < 0 || o.runs < 1 {
		return options{}, fmt.Errorf("-robots, -namespaces, -requests and -runs must be positive; -queues, -runs-per-robot and -warmup not negative")
	}
	switch c := credential(*cred); c {
	case noCredential, tokenCredential:
		o.consoleCredential = c
	default:
		return options{}, fmt.Errorf("-console-credential: %q is not none or token", *cred)
	}
	return o, nil
}

// run starts everything, measures each path -runs times, interleaved so
// that a slow moment of the machine does not fall on one path only, and
// prints the tables.
func run(ctx context.Context, opts options) error {
	plane, err := benchenv.StartControlPlane(opts.root, "")
	defer plane.Stop()
	if err != nil {
		return err
	}
	f, err := createFleet(ctx, plane, opts)
	if err != nil {
		return err
	}
	benchenv.Say("%d Robots, %d RobotRuns and %d WorkQueues in %d namespaces", opts.robots, f.runs.Load(), opts.queues, opts.namespaces)
	c, err := startConsole(ctx, plane, f, opts.consoleCredential)
	if err != nil {
		return err
	}
	defer c.stop()
	paths := newPaths(plane, f, c, opts.whatIfParallel)
	var results []result
	for r := 1; r <= opts.runs; r++ {
		for _, p := range paths {
			res, err := measure(ctx, plane, opts, p, r)
			if err != nil {
				return fmt.Errorf("run %d, %s: %w", r, p.name, err)
			}
			benchenv.Say("run %d, %s: p95 %s", r, p.name, benchenv.Millis(res.percentile(95)))
			results = append(results, res)
		}
	}
	printTables(os.Stdout, opts, f, results)
	return nil
}
