package plugin

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"

	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
)

// recordedLogs stands in for the kubelet: each pod's log is one line
// naming the pod, and every request is recorded.
type recordedLogs struct {
	mu       sync.Mutex
	requests []string
}

func (r *recordedLogs) Open(_ context.Context, _, pod string, follow bool) (io.ReadCloser, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	mode := "all"
	if follow {
		mode = "follow"
	}
	r.requests = append(r.requests, pod+" "+mode)
	return io.NopCloser(strings.NewReader("log of " + pod + "\n")), nil
}

func (r *recordedLogs) Requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.requests...)
}

// endAttempt records that an attempt's robot container exited with code.
func endAttempt(g Gomega, pod *corev1.Pod, code int32) {
	updatePodStatus(g, pod, func(s *corev1.PodStatus) {
		s.Phase = corev1.PodFailed
		if code == 0 {
			s.Phase = corev1.PodSucceeded
		}
		s.ContainerStatuses = []corev1.ContainerStatus{{
			Name: jobs.ContainerName, Image: robotImage, ImageID: robotImageID,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: code, StartedAt: metav1.Now(), FinishedAt: metav1.Now(),
			}},
		}}
	})
}

// followNewRun starts `kubectl robot run ROBOT --follow` with logs as the
// kubelet, waits for its run's Job and marks it started; the command's
// result arrives on done.
func followNewRun(t *testing.T, g Gomega, ns, robot string, logs LogSource) (job *batchv1.Job, done <-chan result) {
	t.Helper()
	results := make(chan result, 1)
	go func() { results <- kubectlRobotWithLogs(t, ns, logs, "run", robot, "--follow") }()
	var runs []rpav1alpha1.RobotRun
	g.Eventually(func() []rpav1alpha1.RobotRun { runs = runsOf(g, ns); return runs }, timeout, interval).Should(HaveLen(1))
	job = waitForJob(g, &runs[0])
	updateJobStatus(g, job, func(s *batchv1.JobStatus) { s.StartTime, s.Active = ptr.To(metav1.Now()), 1 })
	return job, results
}

func TestRunFollowFollowsEachAttemptsPod(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	createRobot(t, ns, "certificate-journal", func(r *rpav1alpha1.Robot) { r.Spec.Retries.Limit = 1 })
	logs := &recordedLogs{}
	job, done := followNewRun(t, g, ns, "certificate-journal", logs)

	// Attempt 1 fails with a system exception; the plugin must have
	// followed its pod before the retry's pod appears.
	first := createPod(g, job, "a1")
	g.Eventually(logs.Requests, timeout, interval).Should(Equal([]string{first.Name + " follow"}))
	endAttempt(g, first, 1)

	second := createPod(g, job, "a2")
	g.Eventually(logs.Requests, timeout, interval).Should(Equal([]string{first.Name + " follow", second.Name + " follow"}))
	endAttempt(g, second, 0)
	completeJob(g, job, 1)

	var res result
	g.Eventually(done, timeout).Should(Receive(&res))
	g.Expect(res.err).NotTo(HaveOccurred())
	g.Expect(res.out).To(ContainSubstring("log of " + first.Name + "\nlog of " + second.Name + "\n"))
	g.Expect(res.out).To(ContainSubstring(" Succeeded (Completed)"))
	g.Expect(res.errOut).To(ContainSubstring("==> attempt 1: pod " + first.Name + " <=="))
	g.Expect(res.errOut).To(ContainSubstring("==> attempt 2: pod " + second.Name + " <=="))
	g.Expect(logs.Requests()).To(HaveLen(2), "each attempt's log is read once")
}

func TestLogsPrintsEveryAttemptOfAFinishedRun(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	// No such robot: the controller fails the run at once; the pods below
	// stand for the attempts of a run whose Job is gone.
	createRunNamed(t, ns, "orphan-2", "orphan")
	g.Eventually(func() rpav1alpha1.RunPhase {
		var run rpav1alpha1.RobotRun
		g.Expect(k8sClient.Get(context.Background(), clientKey(ns, "orphan-2"), &run)).To(Succeed())
		return run.Status.Phase
	}, timeout, interval).Should(Equal(rpav1alpha1.PhaseFailed))
	createRunPod(t, ns, "orphan-2-a1", "orphan-2", runLabels("orphan-2"))
	createRunPod(t, ns, "orphan-2-a2", "orphan-2", runLabels("orphan-2"))
	logs := &recordedLogs{}

	res := kubectlRobotWithLogs(t, ns, logs, "logs", "orphan-2", "-f")
	g.Expect(res.err).NotTo(HaveOccurred())
	g.Expect(res.out).To(Equal("log of orphan-2-a1\nlog of orphan-2-a2\n"))
	g.Expect(res.errOut).To(Equal("==> attempt 1: pod orphan-2-a1 <==\n==> attempt 2: pod orphan-2-a2 <==\n"))
	g.Expect(logs.Requests()).To(Equal([]string{"orphan-2-a1 all", "orphan-2-a2 all"}), "a finished run's logs are not followed")
}

// startingLogs is a kubelet that still says the container is starting
// when asked to follow it, though it has run: a quick attempt on a busy
// node. Without follow it serves the log.
type startingLogs struct{ recordedLogs }

func (s *startingLogs) Open(ctx context.Context, ns, pod string, follow bool) (io.ReadCloser, error) {
	if follow {
		s.mu.Lock()
		s.requests = append(s.requests, pod+" follow")
		s.mu.Unlock()
		return nil, apierrors.NewBadRequest(`container "robot" in pod "` + pod + `" is waiting to start: ContainerCreating`)
	}
	return s.recordedLogs.Open(ctx, ns, pod, false)
}

// TestRunFollowShowsAnAttemptTheKubeletSawLate: the attempt ended while
// the kubelet still answered "waiting to start"; its whole log is shown
// once the run has finished, not skipped.
func TestRunFollowShowsAnAttemptTheKubeletSawLate(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	createRobot(t, ns, "certificate-journal", nil)
	logs := &startingLogs{}
	job, done := followNewRun(t, g, ns, "certificate-journal", logs)
	pod := createPod(g, job, "a1")
	g.Eventually(logs.Requests, timeout, interval).Should(ContainElement(pod.Name + " follow"))
	endAttempt(g, pod, 0)
	completeJob(g, job, 0)

	var res result
	g.Eventually(done, timeout).Should(Receive(&res))
	g.Expect(res.err).NotTo(HaveOccurred())
	g.Expect(res.out).To(ContainSubstring("log of " + pod.Name + "\n"))
	g.Expect(logs.Requests()).To(ContainElement(pod.Name+" all"), "the ended attempt's log is read whole")
}
