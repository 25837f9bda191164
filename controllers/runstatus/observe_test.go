package runstatus

import (
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

var (
	t0   = time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)
	opts = Options{PodStartDeadline: 5 * time.Minute, CredentialWait: 10 * time.Minute}
)

func at(d time.Duration) metav1.Time { return metav1.Time{Time: t0.Add(d)} }

func job(backoffLimit int32, conditions ...batchv1.JobCondition) *batchv1.Job {
	start := at(0)
	j := &batchv1.Job{
		Spec:   batchv1.JobSpec{BackoffLimit: ptr.To(backoffLimit), ActiveDeadlineSeconds: ptr.To[int64](1800)},
		Status: batchv1.JobStatus{StartTime: &start, Conditions: conditions},
	}
	return j
}

func cond(t batchv1.JobConditionType, reason string, when time.Duration) batchv1.JobCondition {
	return batchv1.JobCondition{Type: t, Status: corev1.ConditionTrue, Reason: reason, Message: "job controller says so", LastTransitionTime: at(when)}
}

type podOpt func(*corev1.Pod)

func pod(name string, created time.Duration, opts ...podOpt) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: at(created)}, Status: corev1.PodStatus{Phase: corev1.PodPending}}
	for _, o := range opts {
		o(&p)
	}
	return p
}

func running(p *corev1.Pod) {
	p.Status.Phase = corev1.PodRunning
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name: "robot", Image: "robots/journal:1", ImageID: "robots/journal@sha256:abc",
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: at(10 * time.Second)}},
	}}
}

func exited(code int32, message string) podOpt {
	return func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodFailed
		if code == 0 {
			p.Status.Phase = corev1.PodSucceeded
		}
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name: "robot", Image: "robots/journal:1", ImageID: "robots/journal@sha256:abc",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Message: message}},
		}}
	}
}

func waiting(reason string) podOpt {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name: "robot", Image: "robots/missing:1",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: "details from the kubelet"}},
		}}
	}
}

func unschedulable(p *corev1.Pod) {
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Message: "0/1 nodes are available"}}
}

const summary = `{"itemsProcessed":12,"itemsSucceeded":10,"itemsFailed":0,"businessExceptions":2,"summary":"12 certificates"}`

func TestObserve(t *testing.T) {
	tests := []struct {
		name         string
		job          *batchv1.Job
		pods         []corev1.Pod
		now          time.Duration
		wantPhase    rpav1alpha1.RunPhase
		wantReason   string
		wantMessage  string
		wantLogTail  string
		wantAttempts int32
		wantExit     *int32
		wantItems    *int64
		wantStop     bool
		wantDone     bool
	}{
		{
			name: "job without pods is starting", job: job(0),
			wantPhase: rpav1alpha1.PhasePending, wantReason: rpav1alpha1.ReasonJobCreated,
		},
		{
			name: "unscheduled pod is reported as such", job: job(0), pods: []corev1.Pod{pod("p1", 0, unschedulable)},
			wantPhase: rpav1alpha1.PhasePending, wantReason: rpav1alpha1.ReasonUnschedulable, wantMessage: "0/1 nodes", wantAttempts: 1,
		},
		{
			name: "running container", job: job(0), pods: []corev1.Pod{pod("p1", 0, running)},
			wantPhase: rpav1alpha1.PhaseRunning, wantReason: rpav1alpha1.ReasonRunning, wantAttempts: 1,
		},
		{
			name:      "completed job with a result",
			job:       job(0, cond(batchv1.JobSuccessCriteriaMet, "CompletionsReached", time.Minute), cond(batchv1.JobComplete, "CompletionsReached", time.Minute)),
			pods:      []corev1.Pod{pod("p1", 0, exited(0, summary))},
			wantPhase: rpav1alpha1.PhaseSucceeded, wantReason: rpav1alpha1.ReasonCompleted, wantAttempts: 1,
			wantExit: ptr.To[int32](0), wantItems: ptr.To[int64](12), wantDone: true,
		},
		{
			name:      "business exception fails at once",
			job:       job(2, cond(batchv1.JobFailed, batchv1.JobReasonPodFailurePolicy, time.Minute)),
			pods:      []corev1.Pod{pod("p1", 0, exited(3, summary))},
			wantPhase: rpav1alpha1.PhaseFailed, wantReason: rpav1alpha1.ReasonBusinessException, wantMessage: "exit code 3",
			wantAttempts: 1, wantExit: ptr.To[int32](3), wantItems: ptr.To[int64](12), wantDone: true,
		},
		{
			name:      "system exception without retries",
			job:       job(0, cond(batchv1.JobFailed, batchv1.JobReasonBackoffLimitExceeded, time.Minute)),
			pods:      []corev1.Pod{pod("p1", 0, exited(1, "panic: connection refused\n"))},
			wantPhase: rpav1alpha1.PhaseFailed, wantReason: rpav1alpha1.ReasonSystemException,
			wantMessage: "last log lines are in status.logTail", wantLogTail: "panic: connection refused",
			wantAttempts: 1, wantExit: ptr.To[int32](1), wantDone: true,
		},
		{
			name: "retries exhausted names the attempts",
			job:  job(2, cond(batchv1.JobFailed, batchv1.JobReasonBackoffLimitExceeded, 3*time.Minute)),
			pods: []corev1.Pod{
				pod("p-a", 0, exited(1, "")), pod("p-b", time.Minute, exited(1, "")), pod("p-c", 2*time.Minute, exited(137, "")),
			},
			wantPhase: rpav1alpha1.PhaseFailed, wantReason: rpav1alpha1.ReasonRetriesExhausted,
			wantMessage: "all 3 attempts (retries.limit 2); last exit code 137", wantAttempts: 3, wantExit: ptr.To[int32](137), wantDone: true,
		},
		{
			name:      "deadline exceeded is a timeout",
			job:       job(1, cond(batchv1.JobFailed, batchv1.JobReasonDeadlineExceeded, 30*time.Minute)),
			pods:      []corev1.Pod{pod("p1", 0, exited(143, ""))},
			wantPhase: rpav1alpha1.PhaseTimedOut, wantReason: rpav1alpha1.ReasonDeadlineExceeded, wantMessage: "timeout of 30m0s",
			wantAttempts: 1, wantExit: ptr.To[int32](143), wantDone: true,
		},
		{
			name:      "failed attempt awaiting its retry",
			job:       job(2),
			pods:      []corev1.Pod{pod("p1", 0, exited(1, ""))},
			wantPhase: rpav1alpha1.PhaseRunning, wantReason: rpav1alpha1.ReasonRetrying, wantMessage: "attempt 1 ended (exit code 1)",
			wantAttempts: 1, wantExit: ptr.To[int32](1),
		},
		{
			name:      "second attempt running",
			job:       job(2),
			pods:      []corev1.Pod{pod("p-b", time.Minute, running), pod("p-a", 0, exited(1, ""))},
			wantPhase: rpav1alpha1.PhaseRunning, wantReason: rpav1alpha1.ReasonRunning, wantMessage: "attempt 2", wantAttempts: 2,
		},
		{
			name: "image pull retrying within the deadline", job: job(0), pods: []corev1.Pod{pod("p1", 0, waiting("ImagePullBackOff"))}, now: time.Minute,
			wantPhase: rpav1alpha1.PhasePending, wantReason: rpav1alpha1.ReasonImagePullFailed, wantMessage: "ImagePullBackOff: details", wantAttempts: 1,
		},
		{
			name: "image pull past the deadline fails and stops the job", job: job(0), pods: []corev1.Pod{pod("p1", 0, waiting("ErrImagePull"))}, now: 5 * time.Minute,
			wantPhase: rpav1alpha1.PhaseFailed, wantReason: rpav1alpha1.ReasonImagePullFailed, wantMessage: "could not start: ErrImagePull",
			wantAttempts: 1, wantStop: true, wantDone: true,
		},
		{
			name: "image that may not be pulled fails at once", job: job(0), pods: []corev1.Pod{pod("p1", 0, waiting("ErrImageNeverPull"))}, now: time.Second,
			wantPhase: rpav1alpha1.PhaseFailed, wantReason: rpav1alpha1.ReasonImagePullFailed, wantAttempts: 1, wantStop: true, wantDone: true,
		},
		{
			name: "container config error past the deadline", job: job(0), pods: []corev1.Pod{pod("p1", 0, waiting("CreateContainerConfigError"))}, now: 6 * time.Minute,
			wantPhase: rpav1alpha1.PhaseFailed, wantReason: rpav1alpha1.ReasonContainerConfigError, wantAttempts: 1, wantStop: true, wantDone: true,
		},
		{
			name: "container creating is still starting", job: job(0), pods: []corev1.Pod{pod("p1", 0, waiting("ContainerCreating"))},
			wantPhase: rpav1alpha1.PhasePending, wantReason: rpav1alpha1.ReasonJobCreated, wantAttempts: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Observe(tt.job, tt.pods, t0.Add(tt.now), opts)
			if got.Phase != tt.wantPhase || got.Reason != tt.wantReason {
				t.Errorf("phase/reason = %s/%s, want %s/%s (message %q)", got.Phase, got.Reason, tt.wantPhase, tt.wantReason, got.Message)
			}
			if !strings.Contains(got.Message, tt.wantMessage) {
				t.Errorf("message %q does not contain %q", got.Message, tt.wantMessage)
			}
			if got.LogTail != tt.wantLogTail {
				t.Errorf("log tail %q, want %q", got.LogTail, tt.wantLogTail)
			}
			if got.Attempts != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", got.Attempts, tt.wantAttempts)
			}
			if !equalPtr(got.ExitCode, tt.wantExit) {
				t.Errorf("exit code = %v, want %v", deref(got.ExitCode), deref(tt.wantExit))
			}
			if tt.wantItems != nil && (got.Result == nil || *got.Result.ItemsProcessed != *tt.wantItems) {
				t.Errorf("result = %+v, want %d items", got.Result, *tt.wantItems)
			}
			if got.StopJob != tt.wantStop {
				t.Errorf("stop job = %v, want %v", got.StopJob, tt.wantStop)
			}
			if (got.CompletionTime != nil) != tt.wantDone || got.Phase.Finished() != tt.wantDone {
				t.Errorf("completion time %v, finished %v; want finished %v", got.CompletionTime, got.Phase.Finished(), tt.wantDone)
			}
		})
	}
}

func TestObserveRecordsTheImageThatRan(t *testing.T) {
	got := Observe(job(0), []corev1.Pod{pod("p1", 0, running)}, t0, opts)
	if got.Image != "robots/journal:1" || got.ImageID != "robots/journal@sha256:abc" || got.PodName != "p1" {
		t.Errorf("image %q id %q pod %q", got.Image, got.ImageID, got.PodName)
	}
}

func TestObserveCountsAttemptsFromTheJobWhenPodsAreGone(t *testing.T) {
	j := job(3)
	j.Status.Failed, j.Status.Active = 2, 1
	if got := Observe(j, nil, t0, opts); got.Attempts != 3 {
		t.Errorf("attempts = %d, want 3", got.Attempts)
	}
}

func TestRecheckAtThePodStartDeadline(t *testing.T) {
	now := t0.Add(time.Minute)
	obs := Observe(job(0), []corev1.Pod{pod("p1", 0, waiting("ImagePullBackOff"))}, now, opts)
	when, ok := obs.RecheckAt(now, opts)
	if !ok || !when.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("recheck at %v (%v), want %v", when, ok, t0.Add(5*time.Minute))
	}
	obs = Observe(job(0), []corev1.Pod{pod("p1", 0, running)}, t0, opts)
	if _, ok := obs.RecheckAt(t0, opts); ok {
		t.Errorf("a running pod needs no timed recheck")
	}
}

func waitingFor(reason, message string) podOpt {
	return func(p *corev1.Pod) {
		scheduled(p)
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name: "robot", Image: "robots/journal:1",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: message}},
		}}
	}
}

func scheduled(p *corev1.Pod) {
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}}
}

// The manager cannot read Secrets: it learns that one is missing from the
// kubelet, in the container's waiting message or the pod's mount Events.
func TestMissingSecretsAsTheKubeletReportsThem(t *testing.T) {
	mountFailure := `MountVolume.SetUp failed for volume "rpa-credential-esdh" : secret "esdh-account" not found`
	tests := []struct {
		name        string
		pod         corev1.Pod
		events      []string
		now         time.Duration
		wantPhase   rpav1alpha1.RunPhase
		wantReason  string
		wantMessage string
		wantStop    bool
	}{
		{name: "env from a missing Secret", pod: pod("p1", 0, waitingFor("CreateContainerConfigError", `secret "esdh-account" not found`)),
			now: time.Minute, wantPhase: rpav1alpha1.PhasePending, wantReason: rpav1alpha1.ReasonCredentialsNotFound,
			wantMessage: "Secret(s) esdh-account not found in the robot's namespace; the robot starts when they exist, or the run fails after 10m0s"},
		{name: "env from a missing Secret past the wait", pod: pod("p1", 0, waitingFor("CreateContainerConfigError", `secret "esdh-account" not found`)),
			now: 10 * time.Minute, wantPhase: rpav1alpha1.PhaseFailed, wantReason: rpav1alpha1.ReasonCredentialsNotFound,
			wantMessage: "Secret(s) esdh-account not found in the robot's namespace, still after 10m0s", wantStop: true},
		{name: "missing ConfigMap stays a configuration error", pod: pod("p1", 0, waitingFor("CreateContainerConfigError", `configmap "settings" not found`)),
			now: time.Minute, wantPhase: rpav1alpha1.PhasePending, wantReason: rpav1alpha1.ReasonContainerConfigError},
		{name: "mount of a missing Secret", pod: pod("p1", 0, waitingFor("ContainerCreating", "")), events: []string{mountFailure, mountFailure},
			now: time.Minute, wantPhase: rpav1alpha1.PhasePending, wantReason: rpav1alpha1.ReasonCredentialsNotFound,
			wantMessage: "Secret(s) esdh-account not found"},
		{name: "pod without container statuses yet, mount failing", pod: pod("p1", 0, scheduled), events: []string{mountFailure},
			now: 11 * time.Minute, wantPhase: rpav1alpha1.PhaseFailed, wantReason: rpav1alpha1.ReasonCredentialsNotFound, wantStop: true},
		{name: "other mount failures are not a missing Secret", pod: pod("p1", 0, waitingFor("ContainerCreating", "")),
			events: []string{`MountVolume.SetUp failed for volume "data" : nfs: access denied`},
			now:    time.Minute, wantPhase: rpav1alpha1.PhasePending, wantReason: rpav1alpha1.ReasonJobCreated},
		{name: "unscheduled pod's Events are not read", pod: pod("p1", 0, unschedulable), events: []string{mountFailure},
			now: time.Minute, wantPhase: rpav1alpha1.PhasePending, wantReason: rpav1alpha1.ReasonUnschedulable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0.Add(tt.now)
			got := Observe(job(0), []corev1.Pod{tt.pod}, now, opts)
			if got.ReadsMountFailures(now) {
				got.NoteFailedMounts(tt.events, now, opts)
			}
			if got.Phase != tt.wantPhase || got.Reason != tt.wantReason || got.StopJob != tt.wantStop {
				t.Errorf("got %s/%s stop=%v (%q), want %s/%s stop=%v", got.Phase, got.Reason, got.StopJob, got.Message,
					tt.wantPhase, tt.wantReason, tt.wantStop)
			}
			if !strings.HasPrefix(got.Message, tt.wantMessage) {
				t.Errorf("message %q, want it to start with %q", got.Message, tt.wantMessage)
			}
		})
	}
}

func TestPodBeingSetUpIsLookedAtAgain(t *testing.T) {
	settingUp := []corev1.Pod{pod("p1", 0, waitingFor("ContainerCreating", ""))}
	tests := []struct {
		name      string
		now       time.Duration
		wantReads bool
		wantAt    time.Duration
	}{
		{name: "just created: first look after 5s, no Events read", now: time.Second, wantAt: 5 * time.Second},
		{name: "still setting up: Events read, look again in 15s", now: 20 * time.Second, wantReads: true, wantAt: 35 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0.Add(tt.now)
			obs := Observe(job(0), settingUp, now, opts)
			if got := obs.ReadsMountFailures(now); got != tt.wantReads {
				t.Errorf("reads mount failures = %v, want %v", got, tt.wantReads)
			}
			if at, ok := obs.RecheckAt(now, opts); !ok || !at.Equal(t0.Add(tt.wantAt)) {
				t.Errorf("recheck at %v (%v), want %v", at, ok, t0.Add(tt.wantAt))
			}
		})
	}
	missing := Observe(job(0), []corev1.Pod{pod("p1", 0, waitingFor("CreateContainerConfigError", `secret "x" not found`))}, t0, opts)
	if at, ok := missing.RecheckAt(t0, opts); !ok || !at.Equal(t0.Add(opts.CredentialWait)) {
		t.Errorf("a run waiting for a Secret rechecks at %v (%v), want the credential wait's end", at, ok)
	}
}

func equalPtr(a, b *int32) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func deref(p *int32) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestObserveBoundsTheLogTail: a robot's log tail is copied into status
// bounded, whatever it left in its termination message.
func TestObserveBoundsTheLogTail(t *testing.T) {
	got := Observe(job(0, cond(batchv1.JobFailed, batchv1.JobReasonBackoffLimitExceeded, time.Minute)),
		[]corev1.Pod{pod("p1", 0, exited(1, strings.Repeat("ø", 2000)))}, t0.Add(time.Minute), Options{})
	if len(got.LogTail) > maxLogTailLength+len("…") || !strings.HasSuffix(got.LogTail, "…") {
		t.Errorf("log tail of %d bytes, want at most %d and marked cut", len(got.LogTail), maxLogTailLength)
	}
	if strings.Contains(got.Message, "ø") {
		t.Errorf("message %q carries the robot's log", got.Message)
	}
}
