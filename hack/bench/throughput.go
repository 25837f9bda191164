package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
)

// The throughput measurement: many manual runs of one robot created at
// once, as a caseworker's batch or another system's trigger would.
const (
	throughputRobot     = "manual"
	throughputRawPrefix = "raw-"
)

// throughputResult is what the manual-runs measurement found.
type throughputResult struct {
	runs int
	// rawJobs is how long the benchmark's own unthrottled client took to
	// create as many Jobs directly: the apiserver's create rate on this
	// machine, the ceiling for anything that creates Jobs.
	rawJobs time.Duration
	// runPosts is how long the benchmark's own POSTs of the runs took; they
	// share the apiserver with the manager's Job POSTs.
	runPosts time.Duration
	// toJobs is from the first run's create to the last of their Jobs.
	toJobs time.Duration
	// toRunning is from the moment every pod was marked running (as the
	// kubelet would) to the last run reporting Running.
	toRunning time.Duration
	// peakRSSMiB and requestsPerRun are the manager's.
	peakRSSMiB     float64
	requestsPerRun map[string]float64
}

// runThroughput creates n manual RobotRuns at once and times them to their
// Jobs and, once the benchmark has made their pods run, to Running.
func runThroughput(opts options, n int) (throughputResult, error) {
	fmt.Fprintf(os.Stderr, "bench: throughput of %d manual runs: starting the control plane\n", n)
	c, err := startCluster(opts, scenario{n: n, qps: defaultClients})
	if c != nil {
		defer c.stop()
	}
	if err != nil {
		return throughputResult{}, err
	}
	cl, err := benchClient(c)
	if err != nil {
		return throughputResult{}, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := waitForMetrics(ctx, c.metrics); err != nil {
		return throughputResult{}, fmt.Errorf("manager not up (log %s/manager.log): %w", c.dir, err)
	}
	res := throughputResult{runs: n}
	if err := cl.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: benchNamespace}}); err != nil {
		return res, err
	}
	if res.rawJobs, err = timeRawJobCreates(ctx, cl, n); err != nil {
		return res, err
	}
	if err := createManualRobot(ctx, cl); err != nil {
		return res, err
	}
	w := newRunWatcher()
	w.watch(ctx, cl)
	reqBefore, err := clientRequests(c.metrics)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(os.Stderr, "bench: creating %d manual runs\n", n)
	start := time.Now()
	// CPU profiles over the first 15 s of the manual runs (with -profile).
	profiled := inBackground(func() error {
		return saveCPUProfile(c, 15, opts.profileDir+"/manager-cpu-throughput.pprof")
	})
	if err := parallel(n, func(i int) error { return cl.Create(ctx, manualRun(i)) }); err != nil {
		return res, err
	}
	res.runPosts = time.Since(start)
	lastJob, err := w.waitForJobs(n, 5*time.Minute)
	if err != nil {
		return res, err
	}
	res.toJobs = lastJob.Sub(start)
	fmt.Fprintf(os.Stderr, "bench: %d Jobs in %s; marking their pods running\n", n, res.toJobs.Round(time.Millisecond))
	marked, err := runPods(ctx, cl, w.jobList())
	if err != nil {
		return res, err
	}
	lastRunning, err := w.waitForRunning(n, 5*time.Minute)
	if err != nil {
		showLogTails(c.dir)
		return res, err
	}
	res.toRunning = max(lastRunning.Sub(marked), 0)
	reqAfter, err := clientRequests(c.metrics)
	if err != nil {
		return res, err
	}
	res.requestsPerRun = perRun(reqBefore, reqAfter, n)
	res.peakRSSMiB, _ = peakRSSMiB(c.manager.Process.Pid)
	// Waited for only now: waiting before marking the pods running would
	// give the runs the rest of the 15 s to write their statuses first.
	if err := <-profiled; err != nil {
		fmt.Fprintf(os.Stderr, "bench: profile: %v\n", err)
	}
	return res, nil
}

// timeRawJobCreates creates n Jobs straight away with the benchmark's
// unthrottled client, in their own namespace, and returns how long it took.
// No Job controller runs, so they stay inert.
func timeRawJobCreates(ctx context.Context, cl client.Client, n int) (time.Duration, error) {
	const rawNamespace = "bench-raw"
	if err := cl.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: rawNamespace}}); err != nil {
		return 0, err
	}
	start := time.Now()
	err := parallel(n, func(i int) error {
		job := benchCronJob(i).Spec.JobTemplate
		return cl.Create(ctx, &batchv1.Job{
			ObjectMeta: metav1.ObjectMeta{Namespace: rawNamespace, Name: fmt.Sprintf("%s%05d", throughputRawPrefix, i)},
			Spec:       job.Spec,
		})
	})
	return time.Since(start), err
}

func createManualRobot(ctx context.Context, cl client.Client) error {
	return cl.Create(ctx, &rpav1alpha1.Robot{
		ObjectMeta: metav1.ObjectMeta{Namespace: benchNamespace, Name: throughputRobot},
		Spec: rpav1alpha1.RobotSpec{
			Template:          rpav1alpha1.RobotTemplate{Image: image},
			ConcurrencyPolicy: rpav1alpha1.ConcurrencyAllow,
			// Keep every run: history pruning is not what is measured.
			SuccessfulRunsHistoryLimit: ptr.To[int32](1000),
			FailedRunsHistoryLimit:     ptr.To[int32](1000),
		},
	})
}

func manualRun(i int) *rpav1alpha1.RobotRun {
	return &rpav1alpha1.RobotRun{
		ObjectMeta: metav1.ObjectMeta{Namespace: benchNamespace, Name: fmt.Sprintf("batch-%05d", i)},
		Spec:       rpav1alpha1.RobotRunSpec{RobotName: throughputRobot},
	}
}

// runPods plays the Job controller and the kubelet for every Job: creates
// its pod and reports the robot container running. It returns when the
// last pod was marked.
func runPods(ctx context.Context, cl client.Client, jobList []*batchv1.Job) (time.Time, error) {
	err := parallel(len(jobList), func(i int) error {
		job := jobList[i]
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Namespace: job.Namespace, Name: job.Name + "-p",
				Labels: job.Spec.Template.Labels, Annotations: job.Spec.Template.Annotations,
				OwnerReferences: []metav1.OwnerReference{{
					APIVersion: "batch/v1", Kind: "Job", Name: job.Name, UID: job.UID,
					Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
				}},
			},
			Spec: *job.Spec.Template.Spec.DeepCopy(),
		}
		pod.Spec.NodeName = "bench-node"
		if err := cl.Create(ctx, pod); err != nil {
			return fmt.Errorf("create pod of %s: %w", job.Name, err)
		}
		pod.Status = corev1.PodStatus{
			Phase: corev1.PodRunning,
			ContainerStatuses: []corev1.ContainerStatus{{
				Name: jobs.ContainerName, Image: image, Ready: true,
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}},
			}},
		}
		return cl.Status().Update(ctx, pod)
	})
	return time.Now(), err
}

// runWatcher records, as watch events arrive, the Jobs of the manual runs
// and when each run first reported Running.
type runWatcher struct {
	mu      sync.Mutex
	jobs    map[string]*batchv1.Job
	lastJob time.Time
	running map[string]time.Time
}

func newRunWatcher() *runWatcher {
	return &runWatcher{jobs: map[string]*batchv1.Job{}, running: map[string]time.Time{}}
}

func (w *runWatcher) watch(ctx context.Context, cl client.WithWatch) {
	jobsOfRobot := client.MatchingLabels{rpav1alpha1.LabelRobot: throughputRobot}
	go follow(ctx, func(rv string) (watch.Interface, error) {
		return cl.Watch(ctx, &batchv1.JobList{}, client.InNamespace(benchNamespace), jobsOfRobot, fromVersion(rv))
	}, w.addJob)
	go follow(ctx, func(rv string) (watch.Interface, error) {
		return cl.Watch(ctx, &rpav1alpha1.RobotRunList{}, client.InNamespace(benchNamespace), fromVersion(rv))
	}, w.addRun)
}

func fromVersion(rv string) client.ListOption {
	return &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv}}
}

// follow passes a watch's Added and Modified objects to add until ctx
// ends. The apiserver closes watchers that fall behind, as the
// benchmark's own may on a machine this busy; follow then reopens the watch
// from the last resourceVersion it saw (or from now, if that is too old:
// the apiserver then lists every object as Added again).
func follow(ctx context.Context, open func(rv string) (watch.Interface, error), add func(any, time.Time)) {
	rv := ""
	for ctx.Err() == nil {
		wi, err := open(rv)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for ev := range wi.ResultChan() {
			if ev.Type == watch.Error {
				rv = ""
				break
			}
			if m, ok := ev.Object.(metav1.Object); ok {
				rv = m.GetResourceVersion()
			}
			if ev.Type == watch.Added || ev.Type == watch.Modified {
				add(ev.Object, time.Now())
			}
		}
		wi.Stop()
	}
}

func (w *runWatcher) addJob(obj any, seen time.Time) {
	job, ok := obj.(*batchv1.Job)
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, known := w.jobs[job.Name]; !known {
		w.jobs[job.Name] = job
		w.lastJob = seen
	}
}

func (w *runWatcher) addRun(obj any, seen time.Time) {
	run, ok := obj.(*rpav1alpha1.RobotRun)
	if !ok || run.Status.Phase != rpav1alpha1.PhaseRunning {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, known := w.running[run.Name]; !known {
		w.running[run.Name] = seen
	}
}

func (w *runWatcher) jobList() []*batchv1.Job {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]*batchv1.Job, 0, len(w.jobs))
	for _, j := range w.jobs {
		out = append(out, j)
	}
	return out
}

// waitForJobs waits until n Jobs have arrived and returns when the last did.
func (w *runWatcher) waitForJobs(n int, limit time.Duration) (time.Time, error) {
	return w.waitFor(limit, "Jobs", func() (int, time.Time) { return len(w.jobs), w.lastJob }, n)
}

// waitForRunning waits until n runs report Running and returns when the
// last did.
func (w *runWatcher) waitForRunning(n int, limit time.Duration) (time.Time, error) {
	return w.waitFor(limit, "Running runs", func() (int, time.Time) {
		var last time.Time
		for _, t := range w.running {
			if t.After(last) {
				last = t
			}
		}
		return len(w.running), last
	}, n)
}

func (w *runWatcher) waitFor(limit time.Duration, what string, count func() (int, time.Time), n int) (time.Time, error) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		got, last := count()
		w.mu.Unlock()
		if got >= n {
			return last, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.mu.Lock()
	got, _ := count()
	w.mu.Unlock()
	return time.Time{}, fmt.Errorf("only %d of %d %s after %s", got, n, what, limit)
}
