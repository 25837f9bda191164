package integration

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/controllers"
	"github.com/rpa-operator/rpa-operator/controllers/jobs"
)

const journalResult = `{"itemsProcessed":12,"itemsSucceeded":11,"itemsFailed":0,"businessExceptions":1,"summary":"12 certificates journalled, 1 sent to HR"}`

func TestRunOfMissingRobotFailsWithoutJob(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	run := createRun(t, ns, "orphan", "no-such-robot", nil)

	got := waitForOutcome(g, run, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonRobotNotFound)
	g.Expect(got.Status.Message).To(ContainSubstring(`robot "no-such-robot" does not exist`))
	g.Expect(succeededCondition(got).Status).To(Equal(metav1.ConditionFalse))
	g.Expect(got.Status.CompletionTime).NotTo(BeNil())
	expectNoJob(g, run)
	g.Eventually(func(g Gomega) {
		g.Expect(eventReasons(g, ns, run.Name)).To(ContainElement(rpav1alpha1.ReasonRobotNotFound))
	}, timeout, interval).Should(Succeed())
}

func TestRunWithInvalidArgumentsFailsWithoutJob(t *testing.T) {
	ns := newNamespace(t)
	createRobot(t, ns, "welcome-letters", func(r *rpav1alpha1.Robot) {
		r.Spec.Parameters = []rpav1alpha1.Parameter{{Name: "municipality", Required: true}, {Name: "dryRun", Default: ptr.To("false")}}
	})
	tests := []struct {
		name, run   string
		args        map[string]string
		wantMessage string
	}{
		{"unknown argument", "typo", map[string]string{"municipality": "Roskilde", "dryrun": "true"}, "unknown argument(s) dryrun (the robot's parameters: municipality, dryRun)"},
		{"missing required argument", "missing", map[string]string{"dryRun": "true"}, "missing required argument(s) municipality"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			run := createRun(t, ns, tt.run, "welcome-letters", tt.args)
			got := waitForOutcome(g, run, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonInvalidArguments)
			g.Expect(got.Status.Message).To(Equal(tt.wantMessage))
		})
	}
	expectNoJob(NewWithT(t), &rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Namespace: ns}})
}

func TestRunCreatesTheJobTheBuilderDescribes(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "certificate-journal", func(r *rpav1alpha1.Robot) {
		r.Spec.Parameters = []rpav1alpha1.Parameter{{Name: "date", Required: true}, {Name: "batchSize", Default: ptr.To("40")}}
		r.Spec.Retries = rpav1alpha1.RetryPolicy{Limit: 2, BusinessExceptionExitCode: 3}
		r.Spec.Timeout = &metav1.Duration{Duration: 20 * time.Minute}
	})
	run := createRun(t, ns, "journal-2026-11-23", robot.Name, map[string]string{"date": "2026-11-23"})

	job := waitForJob(g, run)
	run = getRun(g, run)
	g.Expect(metav1.IsControlledBy(job, run)).To(BeTrue(), "the Job is owned by the run")
	g.Expect(*job.Spec.BackoffLimit).To(Equal(int32(2)))
	g.Expect(*job.Spec.ActiveDeadlineSeconds).To(Equal(int64(1200)))
	g.Expect(job.Spec.PodFailurePolicy.Rules[0].OnExitCodes.Values).To(Equal([]int32{3}))
	g.Expect(job.Labels).To(HaveKeyWithValue(rpav1alpha1.LabelRobot, robot.Name))
	g.Expect(job.Labels).To(HaveKeyWithValue(rpav1alpha1.LabelRun, run.Name))

	var file jobs.RunFile
	g.Expect(json.Unmarshal([]byte(job.Spec.Template.Annotations[rpav1alpha1.AnnotationRunJSON]), &file)).To(Succeed())
	g.Expect(file.Arguments).To(Equal(map[string]string{"date": "2026-11-23", "batchSize": "40"}))

	got := waitForOutcome(g, run, rpav1alpha1.PhasePending, rpav1alpha1.ReasonJobCreated)
	g.Expect(got.Status.JobName).To(Equal(job.Name))
	g.Expect(got.Status.RobotGeneration).To(Equal(robot.Generation))
	g.Expect(got.Status.Image).To(Equal(robotImage))
	g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
	g.Expect(got.OwnerReferences).To(ContainElement(HaveField("UID", robot.UID)), "the run is a dependent of its robot")
}

func TestRunSucceedsWithTheRobotsResult(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "certificate-journal", nil)
	run := createRun(t, ns, "journal-ok", robot.Name, nil)
	finishedBefore := succeededRuns(g, ns, robot.Name)

	job := waitForJob(g, run)
	startJob(g, job)
	pod := createPod(g, job, "a1")
	runPod(g, pod)
	running := waitForOutcome(g, run, rpav1alpha1.PhaseRunning, rpav1alpha1.ReasonRunning)
	g.Expect(running.Status.PodName).To(Equal(pod.Name))
	g.Expect(running.Status.StartTime).NotTo(BeNil())
	g.Expect(running.Status.Attempts).To(Equal(int32(1)))

	endPod(g, pod, 0, journalResult)
	completeJob(g, job)
	got := waitForOutcome(g, run, rpav1alpha1.PhaseSucceeded, rpav1alpha1.ReasonCompleted)
	g.Expect(succeededCondition(got).Status).To(Equal(metav1.ConditionTrue))
	g.Expect(*got.Status.ExitCode).To(Equal(int32(0)))
	g.Expect(got.Status.ImageID).To(Equal(robotImageID))
	g.Expect(got.Status.CompletionTime).NotTo(BeNil())
	g.Expect(got.Status.Duration).NotTo(BeEmpty())
	g.Expect(got.Status.Result).To(Equal(&rpav1alpha1.RunResult{
		ItemsProcessed: ptr.To[int64](12), ItemsSucceeded: ptr.To[int64](11), ItemsFailed: ptr.To[int64](0),
		BusinessExceptions: ptr.To[int64](1), Summary: "12 certificates journalled, 1 sent to HR",
	}))

	g.Eventually(func(g Gomega) {
		g.Expect(eventReasons(g, ns, run.Name)).To(ContainElement(rpav1alpha1.ReasonCompleted))
	}, timeout, interval).Should(Succeed())
	// Routine progress is in the status conditions, not in Events.
	g.Expect(eventReasons(g, ns, run.Name)).NotTo(ContainElement(BeElementOf(rpav1alpha1.ReasonJobCreated, rpav1alpha1.ReasonRunning)))
	g.Eventually(func(g Gomega) {
		r := &rpav1alpha1.Robot{}
		g.Expect(k8sClient.Get(context.Background(), objectKey(robot), r)).To(Succeed())
		g.Expect(r.Status.ActiveRuns).To(BeZero())
		g.Expect(r.Status.LastRun).To(Equal(&rpav1alpha1.RunReference{Name: run.Name, Phase: rpav1alpha1.PhaseSucceeded, CompletionTime: got.Status.CompletionTime}))
		g.Expect(r.Status.LastSuccessfulTime).To(Equal(got.Status.CompletionTime))
	}, timeout, interval).Should(Succeed())
	g.Expect(succeededRuns(g, ns, robot.Name)).
		To(Equal(finishedBefore+1), "a finished run is counted exactly once")
}

func TestRobotCountsActiveRuns(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "residence-check", nil)
	createRun(t, ns, "q1", robot.Name, nil)
	createRun(t, ns, "q2", robot.Name, nil)
	g.Eventually(func(g Gomega) {
		r := &rpav1alpha1.Robot{}
		g.Expect(k8sClient.Get(context.Background(), objectKey(robot), r)).To(Succeed())
		g.Expect(r.Status.ActiveRuns).To(Equal(int32(2)))
		g.Expect(r.Status.LastRun.Name).To(Equal("q2"))
		g.Expect(r.Status.LastSuccessfulTime).To(BeNil())
	}, timeout, interval).Should(Succeed())
	// The gauge is the status, read from the manager's cache at the scrape.
	g.Eventually(func(g Gomega) {
		g.Expect(gaugeValue(g, "rpa_robot_active_runs", ns, robot.Name)).To(Equal(2.0))
	}, timeout, interval).Should(Succeed())
}

func TestBusinessExceptionFailsWithoutRetry(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "welcome-letters", func(r *rpav1alpha1.Robot) { r.Spec.Retries.Limit = 3 })
	run := createRun(t, ns, "protected-address", robot.Name, nil)

	job := waitForJob(g, run)
	startJob(g, job)
	pod := createPod(g, job, "a1")
	endPod(g, pod, 3, `{"itemsProcessed":1,"businessExceptions":1,"summary":"resident has address protection"}`)
	failJob(g, job, batchv1.JobReasonPodFailurePolicy, 1)

	got := waitForOutcome(g, run, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonBusinessException)
	g.Expect(*got.Status.ExitCode).To(Equal(int32(3)))
	g.Expect(got.Status.Attempts).To(Equal(int32(1)))
	g.Expect(got.Status.Message).To(ContainSubstring("not retried"))
	g.Expect(got.Status.Result.Summary).To(Equal("resident has address protection"))
}

func TestSystemExceptionIsRetriedThenRetriesExhausted(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "certificate-journal", func(r *rpav1alpha1.Robot) { r.Spec.Retries.Limit = 2 })
	run := createRun(t, ns, "esdh-down", robot.Name, nil)

	job := waitForJob(g, run)
	startJob(g, job)
	first := createPod(g, job, "a1")
	endPod(g, first, 1, "dial tcp esdh.example:443: connection refused")
	retrying := waitForOutcome(g, run, rpav1alpha1.PhaseRunning, rpav1alpha1.ReasonRetrying)
	g.Expect(retrying.Status.Message).To(ContainSubstring("attempt 1 ended (exit code 1)"))

	second := createPod(g, job, "a2")
	endPod(g, second, 1, "")
	third := createPod(g, job, "a3")
	endPod(g, third, 1, "dial tcp esdh.example:443: connection refused")
	failJob(g, job, batchv1.JobReasonBackoffLimitExceeded, 3)

	got := waitForOutcome(g, run, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonRetriesExhausted)
	g.Expect(got.Status.Attempts).To(Equal(int32(3)))
	g.Expect(got.Status.PodName).To(Equal(third.Name))
	g.Expect(got.Status.Message).To(ContainSubstring("all 3 attempts"))
	// The log tail says why, in its own field: the robot's words never
	// reach the conditions or the Events.
	g.Expect(got.Status.LogTail).To(Equal("dial tcp esdh.example:443: connection refused"), "the log tail says why")
	g.Expect(got.Status.Message).To(ContainSubstring("status.logTail"))
	for _, c := range got.Status.Conditions {
		g.Expect(c.Message).NotTo(ContainSubstring("esdh.example"), "condition %s", c.Type)
	}
	g.Eventually(func(g Gomega) {
		g.Expect(eventReasons(g, ns, run.Name)).To(ContainElement(rpav1alpha1.ReasonRetriesExhausted))
	}, timeout, interval).Should(Succeed())
	g.Expect(eventNotes(g, ns, run.Name)).NotTo(ContainElement(ContainSubstring("esdh.example")))
}

func TestSystemExceptionWithoutRetries(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "certificate-journal", nil)
	run := createRun(t, ns, "crash", robot.Name, nil)
	job := waitForJob(g, run)
	startJob(g, job)
	endPod(g, createPod(g, job, "a1"), 2, "usage: robot [flags]")
	failJob(g, job, batchv1.JobReasonBackoffLimitExceeded, 1)
	got := waitForOutcome(g, run, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonSystemException)
	g.Expect(got.Status.Message).To(ContainSubstring("allows no retries"))
}

func TestRunPastItsDeadlineTimesOut(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "bodil", nil)
	run := createRun(t, ns, "slow", robot.Name, nil)
	job := waitForJob(g, run)
	startJob(g, job)
	pod := createPod(g, job, "a1")
	runPod(g, pod)
	endPod(g, pod, 143, "")
	failJob(g, job, batchv1.JobReasonDeadlineExceeded, 1)
	got := waitForOutcome(g, run, rpav1alpha1.PhaseTimedOut, rpav1alpha1.ReasonDeadlineExceeded)
	g.Expect(got.Status.Message).To(ContainSubstring("longer than its timeout of 1h0m0s"))
	g.Expect(succeededCondition(got).Status).To(Equal(metav1.ConditionFalse))
}

func TestCancellingARunningRunStopsItsJob(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "paula", nil)
	run := createRun(t, ns, "stop-me", robot.Name, nil)
	job := waitForJob(g, run)
	startJob(g, job)
	runPod(g, createPod(g, job, "a1"))
	waitForOutcome(g, run, rpav1alpha1.PhaseRunning, rpav1alpha1.ReasonRunning)

	cancel(g, run)
	got := waitForOutcome(g, run, rpav1alpha1.PhaseCancelled, rpav1alpha1.ReasonCancelled)
	g.Expect(got.Status.CompletionTime).NotTo(BeNil())
	g.Expect(got.Status.Attempts).To(Equal(int32(1)))
	g.Eventually(func() bool {
		err := k8sClient.Get(context.Background(), objectKey(job), &batchv1.Job{})
		return apierrors.IsNotFound(err)
	}, timeout, interval).Should(BeTrue(), "the Job is deleted, which stops its pods")
}

func TestCancellingAWaitingRunCreatesNoJob(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	createRobot(t, ns, "olli", func(r *rpav1alpha1.Robot) { r.Spec.Suspend = true })
	run := createRun(t, ns, "never", "olli", nil)
	waitForOutcome(g, run, rpav1alpha1.PhasePending, rpav1alpha1.ReasonRobotSuspended)
	cancel(g, run)
	waitForOutcome(g, run, rpav1alpha1.PhaseCancelled, rpav1alpha1.ReasonCancelled)
	expectNoJob(g, run)
}

func TestRunOfSuspendedRobotWaitsUntilResumed(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "olli", func(r *rpav1alpha1.Robot) { r.Spec.Suspend = true })
	run := createRun(t, ns, "oil-tanks", robot.Name, nil)
	got := waitForOutcome(g, run, rpav1alpha1.PhasePending, rpav1alpha1.ReasonRobotSuspended)
	g.Expect(got.Status.Message).To(ContainSubstring("starts when it is resumed"))
	expectNoJob(g, run)

	patchRobot(g, robot, func(r *rpav1alpha1.Robot) { r.Spec.Suspend = false })
	waitForJob(g, run)
}

// The manager cannot read Secrets: a run starts its Job, and the kubelet's
// report that a mounted Secret is missing (a FailedMount Event) keeps the
// run Pending until the Secret exists and the pod starts.
func TestRunWaitsForAMountedSecretThenStarts(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "certificate-journal", func(r *rpav1alpha1.Robot) {
		r.Spec.Credentials = []rpav1alpha1.Credential{{Name: "esdh", SecretName: "esdh-account"}}
	})
	run := createRun(t, ns, "early", robot.Name, nil)
	job := waitForJob(g, run)
	startJob(g, job)
	pod := createPod(g, job, "a1")
	// Past the few seconds a pod is given to set up before its Events are read.
	advanceClock(t, 10*time.Second)
	secretMountMissing(g, pod, pod.Spec.Volumes[len(pod.Spec.Volumes)-1].Name, "esdh-account")

	got := waitForOutcome(g, run, rpav1alpha1.PhasePending, rpav1alpha1.ReasonCredentialsNotFound)
	g.Expect(got.Status.Message).To(ContainSubstring("Secret(s) esdh-account not found"))
	g.Expect(got.Status.Message).To(ContainSubstring("fails after 10m0s"))
	g.Expect(succeededCondition(got).Status).To(Equal(metav1.ConditionUnknown))
	g.Eventually(func(g Gomega) {
		g.Expect(eventReasons(g, ns, run.Name)).To(ContainElement(rpav1alpha1.ReasonCredentialsNotFound))
	}, timeout, interval).Should(Succeed())
	g.Eventually(func(g Gomega) {
		ready := readyOf(g, robot)
		g.Expect(ready.Reason).To(Equal(rpav1alpha1.ReasonCredentialsNotFound))
		g.Expect(ready.Message).To(ContainSubstring("run " + run.Name + ": Secret(s) esdh-account not found"))
		g.Expect(eventReasons(g, ns, robot.Name)).To(ContainElement(rpav1alpha1.ReasonCredentialsNotFound))
	}, timeout, interval).Should(Succeed())

	// The kubelet mounts the Secret once it exists and starts the robot.
	runPod(g, pod)
	g.Eventually(func(g Gomega) {
		g.Expect(getRun(g, run).Status.Phase).To(Equal(rpav1alpha1.PhaseRunning))
		g.Expect(readyOf(g, robot).Status).To(Equal(metav1.ConditionTrue))
	}, timeout, interval).Should(Succeed())
}

func TestRunFailsWhenASecretItsEnvironmentNeedsStaysMissing(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "certificate-journal", func(r *rpav1alpha1.Robot) {
		r.Spec.Credentials = []rpav1alpha1.Credential{{Name: "esdh", SecretName: "esdh-account", Env: true}}
	})
	run := createRun(t, ns, "late", robot.Name, nil)
	job := waitForJob(g, run)
	startJob(g, job)
	pod := createPod(g, job, "a1")
	secretEnvMissing(g, pod, "esdh-account")
	waitForOutcome(g, run, rpav1alpha1.PhasePending, rpav1alpha1.ReasonCredentialsNotFound)

	advanceClock(t, controllers.DefaultRunStartDeadline+time.Second)
	// The run's timer would fire at the deadline in real time; a change of
	// the pod brings it back now.
	g.Expect(k8sClient.Patch(context.Background(), pod, client.RawPatch(types.MergePatchType,
		[]byte(`{"metadata":{"annotations":{"test/touched":"yes"}}}`)))).To(Succeed())
	got := waitForOutcome(g, run, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonCredentialsNotFound)
	g.Expect(got.Status.Message).To(ContainSubstring("Secret(s) esdh-account not found in the robot's namespace, still after 10m0s"))
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8sClient.Get(context.Background(), objectKey(job), &batchv1.Job{}))
	}, timeout, interval).Should(BeTrue(), "the Job of a run whose pod can never start is deleted")
}

func TestImageThatCannotBePulledFailsTheRun(t *testing.T) {
	ns := newNamespace(t)

	t.Run("absent image under pull policy Never fails at once", func(t *testing.T) {
		g := NewWithT(t)
		robot := createRobot(t, ns, "never-pull", nil)
		run := createRun(t, ns, "never-pull", robot.Name, nil)
		job := waitForJob(g, run)
		startJob(g, job)
		pullFails(g, createPod(g, job, "a1"), "ErrImageNeverPull")
		got := waitForOutcome(g, run, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonImagePullFailed)
		g.Expect(got.Status.Message).To(ContainSubstring("registry.example/robots/missing:9.9"))
		g.Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(context.Background(), objectKey(job), &batchv1.Job{}))
		}, timeout, interval).Should(BeTrue(), "the Job of a run that cannot start is deleted")
	})
	t.Run("pull back-off is reported, then fails after the pod start deadline", func(t *testing.T) {
		g := NewWithT(t)
		robot := createRobot(t, ns, "backoff", nil)
		run := createRun(t, ns, "backoff", robot.Name, nil)
		job := waitForJob(g, run)
		startJob(g, job)
		pod := createPod(g, job, "a1")
		pullFails(g, pod, "ImagePullBackOff")
		pending := waitForOutcome(g, run, rpav1alpha1.PhasePending, rpav1alpha1.ReasonImagePullFailed)
		g.Expect(succeededCondition(pending).Status).To(Equal(metav1.ConditionUnknown))
		g.Expect(pending.Status.Message).To(ContainSubstring("fails if this lasts 5m0s"))

		advanceClock(t, controllers.DefaultPodStartDeadline)
		pullFails(g, pod, "ErrImagePull") // the kubelet's next try
		waitForOutcome(g, run, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonImagePullFailed)
	})
}

func TestMalformedResultIsReportedNotFatal(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "invoice-booking", nil)
	run := createRun(t, ns, "garbled", robot.Name, nil)
	job := waitForJob(g, run)
	startJob(g, job)
	endPod(g, createPod(g, job, "a1"), 0, `{"itemsProcessed": 40, "summary": "cut off`)
	completeJob(g, job)
	got := waitForOutcome(g, run, rpav1alpha1.PhaseSucceeded, rpav1alpha1.ReasonCompleted)
	g.Expect(got.Status.Result).To(BeNil())
	g.Expect(got.Status.Message).To(ContainSubstring("result summary is not valid JSON"))
	g.Expect(succeededCondition(got).Message).To(ContainSubstring("not valid JSON"))
}

func TestDeletedJobFailsTheRunInsteadOfRunningItTwice(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "welcome-letters", nil)
	run := createRun(t, ns, "job-gone", robot.Name, nil)
	job := waitForJob(g, run)
	waitForOutcome(g, run, rpav1alpha1.PhasePending, rpav1alpha1.ReasonJobCreated)
	g.Expect(k8sClient.Delete(context.Background(), job, client2propagation())).To(Succeed())

	got := waitForOutcome(g, run, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonJobDeleted)
	g.Expect(got.Status.Message).To(ContainSubstring("not restarted"))
	expectNoJob(g, run)
}

func TestFinishedRunIsNeverChangedAgain(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	robot := createRobot(t, ns, "welcome-letters", nil)
	run := createRun(t, ns, "done", robot.Name, nil)
	job := waitForJob(g, run)
	succeedJob(g, job)
	done := waitForOutcome(g, run, rpav1alpha1.PhaseSucceeded, rpav1alpha1.ReasonCompleted)

	// A late cancel and a Job that disappears change nothing.
	cancel(g, run)
	g.Expect(k8sClient.Delete(context.Background(), job, client2propagation())).To(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(getRun(g, run).Status).To(Equal(done.Status))
	}, 2*time.Second, interval).Should(Succeed())
}

func cancel(g Gomega, run *rpav1alpha1.RobotRun) {
	g.Expect(updateRun(run, func(r *rpav1alpha1.RobotRun) { r.Spec.Cancel = true })).To(Succeed())
}

func patchRobot(g Gomega, robot *rpav1alpha1.Robot, mutate func(*rpav1alpha1.Robot)) {
	g.Eventually(func() error {
		current := &rpav1alpha1.Robot{}
		if err := k8sClient.Get(context.Background(), objectKey(robot), current); err != nil {
			return err
		}
		mutate(current)
		return k8sClient.Update(context.Background(), current)
	}, timeout, interval).Should(Succeed())
}

// TestARunOfARobotThatDoesNotExistIsPrunedAfterADay: no Robot's history
// limits prune such a run, so it goes --orphan-run-ttl (24h) after it ended.
func TestARunOfARobotThatDoesNotExistIsPrunedAfterADay(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	run := createRun(t, ns, "typo", "welcome-leters", nil)
	waitForOutcome(g, run, rpav1alpha1.PhaseFailed, rpav1alpha1.ReasonRobotNotFound)
	g.Consistently(func(g Gomega) {
		g.Expect(k8sClient.Get(context.Background(), objectKey(run), &rpav1alpha1.RobotRun{})).To(Succeed())
	}, "1s", interval).Should(Succeed(), "kept for a day for people to see why")

	// A day later: the controller's requeue waits in real time, so a spec
	// change brings the run back at the advanced clock instead.
	advanceClock(t, controllers.DefaultOrphanRunTTL+time.Minute)
	cancel(g, run)
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8sClient.Get(context.Background(), objectKey(run), &rpav1alpha1.RobotRun{}))
	}, timeout, interval).Should(BeTrue(), "pruned a day after it failed")
}

// TestAJobThatIsNotTheRunsHoldingItsNameIsReportedNotAdopted: a Job the
// operator did not create for this run, under the run's Job name, keeps
// the run Pending with a reason and a Warning; once it is deleted the run
// gets its own Job.
func TestAJobThatIsNotTheRunsHoldingItsNameIsReportedNotAdopted(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	robot := createRobot(t, ns, "certificate-journal", nil)
	foreign := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: jobs.JobName("journal-1")},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "other", Image: "registry.example/other:1"}},
		}}},
	}
	g.Expect(k8sClient.Create(ctx, foreign)).To(Succeed())
	run := createRun(t, ns, "journal-1", robot.Name, nil)
	got := waitForOutcome(g, run, rpav1alpha1.PhasePending, rpav1alpha1.ReasonJobNameTaken)
	g.Expect(got.Status.Message).To(ContainSubstring("Job " + foreign.Name + " exists but does not belong to this run"))
	g.Eventually(func(g Gomega) {
		g.Expect(eventReasons(g, ns, run.Name)).To(ContainElement(rpav1alpha1.ReasonJobNameTaken))
	}, timeout, interval).Should(Succeed())

	g.Expect(k8sClient.Delete(ctx, foreign, client2propagation())).To(Succeed())
	g.Eventually(func(g Gomega) {
		job := &batchv1.Job{}
		g.Expect(k8sClient.Get(ctx, objectKey(foreign), job)).To(Succeed())
		g.Expect(metav1.IsControlledBy(job, getRun(g, run))).To(BeTrue())
	}, timeout, interval).Should(Succeed())
}
