package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/procfs"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// result is what one scenario measured.
type result struct {
	scenario
	instants                  int
	runs, robotJobs, cronJobs stats
	peakRSSMiB                float64
	cpuSeconds                float64
	requestsPerRun            map[string]float64
	// load is the machine's and the apiserver's over the measured minutes.
	load load
}

// runScenario measures one N at one client setting.
func runScenario(opts options, s scenario) (result, error) {
	fmt.Fprintf(os.Stderr, "bench: N=%d, client QPS %s: starting the control plane\n", s.n, s.qps)
	c, err := startCluster(opts, s)
	if c != nil {
		defer c.stop()
	}
	if err != nil {
		return result{}, err
	}
	cl, err := benchClient(c)
	if err != nil {
		return result{}, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := waitForMetrics(ctx, c.metrics); err != nil {
		return result{}, fmt.Errorf("manager not up (log %s/manager.log): %w", c.dir, err)
	}
	fmt.Fprintf(os.Stderr, "bench: creating %d Robots and %d CronJobs\n", s.n, s.n)
	if err := createWorkload(ctx, cl, s.n); err != nil {
		return result{}, err
	}
	obs := newObserver()
	obs.watch(ctx, cl)
	instants := measuredMinutes(time.Now(), opts.minutes)
	fmt.Fprintf(os.Stderr, "bench: measuring the scheduled times %s to %s\n",
		instants[0].Format(time.TimeOnly), instants[len(instants)-1].Format(time.TimeOnly))
	time.Sleep(time.Until(instants[0].Add(-10 * time.Second)))
	profiled := inBackground(func() error { return saveProfile(opts, c, s) })
	before, err := takeWindowSnapshot(c)
	if err != nil {
		return result{}, err
	}
	// The footprint's window ends a little before the next scheduled time,
	// so that none of that time's Jobs counts; the lag statistics wait the
	// whole minute, when every run and Job of the last instant should exist.
	last := instants[len(instants)-1]
	time.Sleep(time.Until(last.Add(time.Minute - windowMargin)))
	after, err := takeWindowSnapshot(c)
	if err != nil {
		return result{}, err
	}
	time.Sleep(time.Until(last.Add(time.Minute)))
	if err := <-profiled; err != nil {
		fmt.Fprintf(os.Stderr, "bench: profile: %v\n", err)
	}
	runs, robotJobs, cronJobs := obs.sides(instants)
	res := result{
		scenario:   s,
		instants:   len(instants),
		runs:       computeStats(runs, s.n, instants),
		robotJobs:  computeStats(robotJobs, s.n, instants),
		cronJobs:   computeStats(cronJobs, s.n, instants),
		cpuSeconds: after.cpu - before.cpu,
	}
	if err := errors.Join(before.loadErr, after.loadErr); err != nil {
		fmt.Fprintf(os.Stderr, "bench: load of the machine and apiserver: %v\n", err)
	} else {
		res.load = loadBetween(before.load, after.load)
	}
	if res.cronJobs.created == 0 || res.runs.created == 0 {
		showLogTails(c.dir)
	}
	res.peakRSSMiB, _ = peakRSSMiB(c.manager.Process.Pid)
	if err := saveHeapProfile(opts, c, s); err != nil {
		fmt.Fprintf(os.Stderr, "bench: heap profile: %v\n", err)
	}
	res.requestsPerRun = perRun(before.requests, after.requests, res.runs.created)
	return res, nil
}

// windowMargin is how long before the next scheduled time the footprint's
// window ends: reading the counters takes a moment, and the next time's
// Jobs are created within milliseconds of it.
const windowMargin = 5 * time.Second

// windowSnapshot is what the footprint columns are computed from, read at
// both ends of the measured minutes.
type windowSnapshot struct {
	requests map[string]float64
	cpu      float64
	load     loadSnapshot
	loadErr  error
}

// takeWindowSnapshot reads the manager's request counts first: they move
// fastest.
func takeWindowSnapshot(c *cluster) (windowSnapshot, error) {
	requests, err := clientRequests(c.metrics)
	if err != nil {
		return windowSnapshot{}, err
	}
	cpu, _ := cpuSeconds(c.manager.Process.Pid)
	load, loadErr := takeLoadSnapshot(c)
	return windowSnapshot{requests: requests, cpu: cpu, load: load, loadErr: loadErr}, nil
}

// saveProfile writes a 30 s CPU profile of the manager, from 5 s before the
// first measured instant, to opts.profileDir (when profiling is on).
func saveProfile(opts options, c *cluster, s scenario) error {
	if c.pprof == "" {
		return nil
	}
	time.Sleep(5 * time.Second)
	return saveCPUProfile(c, 30, fmt.Sprintf("%s/manager-cpu-n%d-qps-%s.pprof", opts.profileDir, s.n, s.qps))
}

// inBackground runs f in a goroutine of its own; the channel receives its
// error when it is done.
func inBackground(f func() error) <-chan error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	return done
}

// saveCPUProfile writes CPU profiles of the manager and of kube-apiserver
// over the same next seconds, to path and to path with "manager" replaced
// by "apiserver", when profiling is on. When the apiserver is the limit,
// its profile shows what each kind of request costs it.
func saveCPUProfile(c *cluster, seconds int, path string) error {
	if c.pprof == "" {
		return nil
	}
	apiserver := inBackground(func() error {
		url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", c.host, seconds)
		return fetchProfile(c.apiserver, url, apiserverProfilePath(path))
	})
	err := fetchProfile(http.DefaultClient, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", c.pprof, seconds), path)
	if aerr := <-apiserver; aerr != nil {
		fmt.Fprintf(os.Stderr, "bench: profile of kube-apiserver: %v\n", aerr)
	}
	return err
}

// apiserverProfilePath names the apiserver's profile after the manager's.
func apiserverProfilePath(managerPath string) string {
	dir, file := filepath.Split(managerPath)
	return filepath.Join(dir, strings.Replace(file, "manager", "apiserver", 1))
}

// saveHeapProfile writes the manager's heap profile at the end of the
// measurement, when its cache holds the most, to opts.profileDir (when
// profiling is on).
func saveHeapProfile(opts options, c *cluster, s scenario) error {
	if c.pprof == "" {
		return nil
	}
	return fetchProfile(http.DefaultClient, "http://"+c.pprof+"/debug/pprof/heap",
		fmt.Sprintf("%s/manager-heap-n%d-qps-%s.pprof", opts.profileDir, s.n, s.qps))
}

// fetchProfile saves the profile served at url to path.
func fetchProfile(hc *http.Client, url, path string) error {
	body, err := get(hc, url)
	if err != nil {
		return err
	}
	defer func() { _ = body.Close() }()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(f, body); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: profile in %s (go tool pprof -top %s)\n", path, path)
	return nil
}

// benchClient is the benchmark's own client: admin, and not rate limited,
// since what it does is not what is measured.
func benchClient(c *cluster) (client.WithWatch, error) {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(rpav1alpha1.AddToScheme(scheme))
	cfg := *c.admin
	cfg.QPS, cfg.Burst = 5000, 10000
	return client.NewWithWatch(&cfg, client.Options{Scheme: scheme})
}

// waitForMetrics waits until the manager serves its metrics.
func waitForMetrics(ctx context.Context, addr string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if _, err := clientRequests(addr); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return fmt.Errorf("no metrics at %s", addr)
}

// clientRequests reads the manager's own count of the requests it sent to
// the apiserver, by method (client-go's rest_client_requests_total).
func clientRequests(addr string) (map[string]float64, error) {
	families, err := scrape(http.DefaultClient, "http://"+addr+"/metrics")
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	if f := families["rest_client_requests_total"]; f != nil {
		for _, m := range f.GetMetric() {
			out[label(m, "method")] += m.GetCounter().GetValue()
		}
	}
	return out, nil
}

func perRun(before, after map[string]float64, runs int) map[string]float64 {
	out := map[string]float64{}
	if runs == 0 {
		return out
	}
	for method, v := range after {
		if d := v - before[method]; d > 0 {
			out[method] = d / float64(runs)
		}
	}
	return out
}

// peakRSSMiB is the process's peak resident set (VmHWM).
func peakRSSMiB(pid int) (float64, error) {
	proc, err := procfs.NewProc(pid)
	if err != nil {
		return 0, err
	}
	status, err := proc.NewStatus()
	if err != nil {
		return 0, err
	}
	return float64(status.VmHWM) / (1 << 20), nil
}

// cpuSeconds is the process's user and system CPU time so far.
func cpuSeconds(pid int) (float64, error) {
	proc, err := procfs.NewProc(pid)
	if err != nil {
		return 0, err
	}
	stat, err := proc.Stat()
	if err != nil {
		return 0, err
	}
	return stat.CPUTime(), nil
}

// showLogTails prints the end of each controller's log when a side created
// nothing: the numbers alone would not say why.
func showLogTails(dir string) {
	for _, name := range []string{"kube-controller-manager.log", "manager.log"} {
		data, err := os.ReadFile(dir + "/" + name)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		fmt.Fprintf(os.Stderr, "bench: the end of %s:\n%s\n", name, strings.Join(lines[max(0, len(lines)-40):], "\n"))
	}
}
