// Command bench measures how well rpa-operator keeps time under load, side
// by side with the Kubernetes CronJob controller on the same control plane
// in the same run (issue 10, docs/benchmarks.md).
//
// For each N it starts etcd and kube-apiserver (envtest, with the binaries
// hack/k8s-binaries.sh builds), kube-controller-manager with only the
// cronjob controller, and the operator's manager as its own process. It
// creates N Robots and N CronJobs with the same per-minute schedule and
// watches RobotRuns and Jobs arrive: the lag from each scheduled time to the
// creation of the run (RobotRun, resp. the CronJob's Job) and, for robots,
// to the run's Job, timestamped as the watch events arrive (creationTimestamp
// has whole seconds only). No Job creates pods: the Job controller is not
// running, so both sides do the same work.
//
//	go run ./hack/bench -n 100,1000 -minutes 3 -qps default,200
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// options are the benchmark's flags.
type options struct {
	sizes   []int
	minutes int
	qps     []string
	out     string
	root    string
	// throughput is how many manual runs to create at once; 0 skips it.
	throughput int
	// managerArgs are extra flags for the manager, for trying settings.
	managerArgs []string
	// profileDir, if set, receives CPU profiles of the manager and of
	// kube-apiserver over the first measured instant of each scenario and
	// over the throughput measurement, and the manager's heap profile.
	profileDir string
}

func main() {
	// envtest logs through controller-runtime; the bench reports on its own.
	ctrllog.SetLogger(logr.Discard())
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	results := make([]result, 0, len(opts.sizes)*len(opts.qps))
	for _, qps := range opts.qps {
		for _, n := range opts.sizes {
			res, err := runScenario(opts, scenario{n: n, qps: qps})
			if err != nil {
				fmt.Fprintf(os.Stderr, "bench: N=%d qps=%s: %v\n", n, qps, err)
				os.Exit(1)
			}
			results = append(results, res)
			printTable(os.Stdout, results)
		}
	}
	var throughput *throughputResult
	if opts.throughput > 0 {
		t, err := runThroughput(opts, opts.throughput)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: throughput: %v\n", err)
			os.Exit(1)
		}
		throughput = &t
		printThroughput(os.Stdout, throughput)
	}
	if opts.out != "" {
		if err := writeReport(opts, results, throughput); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		fmt.Println("written to", opts.out)
	}
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	sizes := fs.String("n", "100,1000", "comma-separated numbers of Robots (and of CronJobs)")
	minutes := fs.Int("minutes", 3, "scheduled minutes measured per N (at least 3)")
	qps := fs.String("qps", "default", `comma-separated client settings: "default" (each side's out-of-the-box QPS and burst), `+
		`or a number used as QPS for both sides (burst twice that)`)
	out := fs.String("out", "", "also write the results as Markdown to this file")
	root := fs.String("root", ".", "the repository root")
	managerArgs := fs.String("manager-args", "", "extra flags for the manager, space-separated (for trying settings; the report names them)")
	profileDir := fs.String("profile", "",
		"directory for 30 s CPU profiles of the manager and kube-apiserver around the first measured instant of each scenario, "+
			"and a heap profile of the manager at its end")
	throughput := fs.Int("throughput", 1000, "manual runs created at once for the throughput measurement (0: skip it)")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	opts := options{minutes: *minutes, out: *out, root: *root, throughput: *throughput, managerArgs: strings.Fields(*managerArgs), profileDir: *profileDir}
	for _, s := range strings.Split(*sizes, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return options{}, fmt.Errorf("-n: %q is not a positive number", s)
		}
		opts.sizes = append(opts.sizes, n)
	}
	for _, s := range strings.Split(*qps, ",") {
		s = strings.TrimSpace(s)
		if _, err := strconv.Atoi(s); err != nil && s != defaultClients {
			return options{}, fmt.Errorf(`-qps: %q is neither "default" nor a number`, s)
		}
		opts.qps = append(opts.qps, s)
	}
	if opts.minutes < 3 {
		return options{}, fmt.Errorf("-minutes must be at least 3")
	}
	return opts, nil
}

// defaultClients names the scenario with each side's out-of-the-box
// client settings.
const defaultClients = "default"

// scenario is one measured configuration.
type scenario struct {
	n   int
	qps string
}

// clientFlags are the client settings for each side in a scenario.
func (s scenario) clientFlags() (manager, kcm []string) {
	if s.qps == defaultClients {
		return nil, nil
	}
	q, _ := strconv.Atoi(s.qps)
	burst := strconv.Itoa(2 * q)
	return []string{"--kube-api-qps=" + s.qps, "--kube-api-burst=" + burst},
		[]string{"--kube-api-qps=" + s.qps, "--kube-api-burst=" + burst}
}

// measuredMinutes are the scheduled instants measured: full minutes after
// everything exists, so that creating the objects is not measured.
func measuredMinutes(ready time.Time, minutes int) []time.Time {
	first := ready.Truncate(time.Minute).Add(2 * time.Minute)
	out := make([]time.Time, minutes)
	for i := range out {
		out[i] = first.Add(time.Duration(i) * time.Minute)
	}
	return out
}
