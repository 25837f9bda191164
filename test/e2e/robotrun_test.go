//go:build e2e

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// A run's pod needs a few seconds on this node; a minute is generous.
const runTimeout = 2 * time.Minute

func TestManualRunSeesItsArgumentsAsEnvAndRunFile(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	robot := testRobot(t, ns, "welcome-letters", func(r *rpav1alpha1.Robot) {
		r.Spec.Parameters = append(r.Spec.Parameters, rpav1alpha1.Parameter{Name: "movedInSince", Required: true})
	})
	run := startRun(t, ns, "by-hand", robot.Name, map[string]string{"movedInSince": "2026-11-01", "items": "5"})

	done := waitForPhase(t, run, rpav1alpha1.PhaseSucceeded, runTimeout)
	g := NewWithT(t)
	g.Expect(reason(done)).To(Equal(rpav1alpha1.ReasonCompleted))
	g.Expect(done.Status.Result).NotTo(BeNil())
	g.Expect(*done.Status.Result.ItemsProcessed).To(Equal(int64(5)))
	g.Expect(done.Status.ImageID).To(ContainSubstring("sha256:"), "the digest that ran")
	g.Expect(*done.Status.ExitCode).To(BeZero())

	logs := podLogs(t, ns, done.Status.PodName)
	g.Expect(logs).To(ContainSubstring("RPA_ARG_MOVEDINSINCE"))
	g.Expect(logs).To(ContainSubstring("2026-11-01"))
	g.Expect(logs).To(ContainSubstring(`"runName":"by-hand"`), "run.json is mounted and read")
}

func TestCredentialsAreMountedAsFilesAndTheirValuesNeverLeak(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	const password = "e2e-Kodeord-4711-never-leak"
	g := NewWithT(t)
	g.Expect(k8sClient.Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "esdh-account"},
		StringData: map[string]string{"username": "robot-aalborg", "password": password},
	})).To(Succeed())
	robot := testRobot(t, ns, "certificate-journal", func(r *rpav1alpha1.Robot) {
		r.Spec.Credentials = []rpav1alpha1.Credential{{Name: "esdh", SecretName: "esdh-account", Env: true}}
	})
	run := startRun(t, ns, "with-secret", robot.Name, nil)
	done := waitForPhase(t, run, rpav1alpha1.PhaseSucceeded, runTimeout)

	logs := podLogs(t, ns, done.Status.PodName)
	g.Expect(logs).To(ContainSubstring("esdh"))
	g.Expect(logs).To(ContainSubstring("password"), "the robot sees the credential's files")

	forbidden := []string{password, base64.StdEncoding.EncodeToString([]byte(password))}
	robotNow := &rpav1alpha1.Robot{}
	g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(robot), robotNow)).To(Succeed())
	places := map[string]any{"run": getRun(g, ns, run.Name), "robot": robotNow, "events": events(g, ns)}
	for name, obj := range places {
		data, err := json.Marshal(obj)
		g.Expect(err).NotTo(HaveOccurred())
		for _, value := range forbidden {
			g.Expect(string(data)).NotTo(ContainSubstring(value), "secret value in the %s", name)
		}
	}
	opLogs := operatorLogs(t)
	g.Expect(opLogs).To(ContainSubstring("with-secret"), "the operator logged this run")
	for _, value := range forbidden {
		g.Expect(opLogs).NotTo(ContainSubstring(value), "secret value in the operator's logs")
		g.Expect(logs).NotTo(ContainSubstring(value), "the contract robot logs credential names, never values")
	}
}

// TestARobotThatPrintsItsPasswordLeaksItOnlyIntoItsLogTail: the operator
// never reads a Secret, but robot-written text passes through it. A robot
// that logs its password and crashes puts it in its log, and so in
// status.logTail, which the docs say viewers read (docs/rbac.md); it must
// reach no condition, message, Event, Robot status or operator log line.
func TestARobotThatPrintsItsPasswordLeaksItOnlyIntoItsLogTail(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	const password = "e2e-Printed-4711-by-a-careless-robot"
	g := NewWithT(t)
	g.Expect(k8sClient.Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "esdh-account"},
		StringData: map[string]string{"password": password},
	})).To(Succeed())
	robot := testRobot(t, ns, "careless", func(r *rpav1alpha1.Robot) {
		r.Spec.Credentials = []rpav1alpha1.Credential{{Name: "esdh", SecretName: "esdh-account"}}
	})
	run := startRun(t, ns, "prints-password", robot.Name, map[string]string{"mode": "leak-credentials"})
	done := waitForPhase(t, run, rpav1alpha1.PhaseFailed, runTimeout)
	g.Expect(done.Status.LogTail).To(ContainSubstring(password),
		"the robot's printed password went through the operator, as the robot's log tail")

	withoutLogTail := done.DeepCopy()
	withoutLogTail.Status.LogTail = ""
	robotNow := &rpav1alpha1.Robot{}
	g.Eventually(func(g Gomega) {
		g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(robot), robotNow)).To(Succeed())
		g.Expect(robotNow.Status.LastRun).NotTo(BeNil())
		g.Expect(robotNow.Status.LastRun.Phase).To(Equal(rpav1alpha1.PhaseFailed))
	}, runTimeout, poll).Should(Succeed())
	places := map[string]any{"run without its log tail": withoutLogTail, "robot": robotNow, "events": events(g, ns)}
	for name, obj := range places {
		data, err := json.Marshal(obj)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(data)).NotTo(ContainSubstring(password), "the printed password is in the %s", name)
	}
	opLogs := operatorLogs(t)
	g.Expect(opLogs).To(ContainSubstring("prints-password"), "the operator logged this run")
	g.Expect(opLogs).NotTo(ContainSubstring(password), "the printed password is in the operator's logs")

	// The run record: its metadata never holds what the robot printed; the
	// recorded log, the robot's own words, does (docs/audit.md).
	var record string
	g.Eventually(func() error {
		var err error
		record, err = kubectlOutput("-n", ns, "get", "runrecord", run.Name, "-o", "json")
		return err
	}, runTimeout, poll).Should(Succeed())
	g.Expect(record).To(ContainSubstring(`"requestedBy"`))
	g.Expect(record).NotTo(ContainSubstring(password), "the printed password is in the run record")
	recordedLog := kubectl(t, "get", "--raw", "/apis/records.rpa.dev/v1alpha1/namespaces/"+ns+"/runrecords/"+run.Name+"/log")
	g.Expect(recordedLog).To(ContainSubstring(password), "the recorded log is the robot's log")
}

// TestAMissingSecretIsReportedByTheKubeletAndTheRunStartsOnceItExists: the
// manager cannot read Secrets; the kubelet's FailedMount tells it.
func TestAMissingSecretIsReportedByTheKubeletAndTheRunStartsOnceItExists(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	robot := testRobot(t, ns, "not-yet-provisioned", func(r *rpav1alpha1.Robot) {
		r.Spec.Credentials = []rpav1alpha1.Credential{{Name: "esdh", SecretName: "esdh-account"}}
	})
	run := startRun(t, ns, "before-the-secret", robot.Name, nil)
	g := NewWithT(t)
	g.Eventually(func(g Gomega) {
		got := getRun(g, ns, run.Name)
		g.Expect(reason(got)).To(Equal(rpav1alpha1.ReasonCredentialsNotFound))
		g.Expect(got.Status.Message).To(ContainSubstring("Secret(s) esdh-account not found"))
	}, runTimeout, poll).Should(Succeed())

	g.Expect(k8sClient.Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "esdh-account"},
		StringData: map[string]string{"username": "robot-aalborg", "password": "not-a-real-password"},
	})).To(Succeed())
	// The kubelet retries the mount with a back-off of up to about two minutes.
	done := waitForPhase(t, run, rpav1alpha1.PhaseSucceeded, 4*time.Minute)
	g.Expect(reason(done)).To(Equal(rpav1alpha1.ReasonCompleted))
}

func TestBusinessExceptionFailsWithoutARetry(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	robot := testRobot(t, ns, "certificate-journal", func(r *rpav1alpha1.Robot) { r.Spec.Retries.Limit = 2 })
	run := startRun(t, ns, "not-clean", robot.Name, map[string]string{"mode": "business-exception"})
	done := waitForPhase(t, run, rpav1alpha1.PhaseFailed, runTimeout)
	g := NewWithT(t)
	g.Expect(reason(done)).To(Equal(rpav1alpha1.ReasonBusinessException))
	g.Expect(*done.Status.ExitCode).To(Equal(int32(3)))
	g.Expect(done.Status.Attempts).To(Equal(int32(1)), "never retried")
}

func TestSystemExceptionIsRetriedUntilRetriesAreExhausted(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	robot := testRobot(t, ns, "certificate-journal", func(r *rpav1alpha1.Robot) { r.Spec.Retries.Limit = 1 })
	run := startRun(t, ns, "esdh-down", robot.Name, map[string]string{"mode": "system-exception"})
	// The Job controller waits 10 s before the retry.
	done := waitForPhase(t, run, rpav1alpha1.PhaseFailed, 3*time.Minute)
	g := NewWithT(t)
	g.Expect(reason(done)).To(Equal(rpav1alpha1.ReasonRetriesExhausted))
	g.Expect(done.Status.Attempts).To(Equal(int32(2)))
	g.Expect(*done.Status.ExitCode).To(Equal(int32(1)))
}

func TestRunPastItsTimeoutEndsTimedOut(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	robot := testRobot(t, ns, "slow-robot", func(r *rpav1alpha1.Robot) {
		r.Spec.Timeout = &metav1.Duration{Duration: 15 * time.Second}
	})
	run := startRun(t, ns, "too-slow", robot.Name, map[string]string{"mode": "sleep", "sleep": "10m"})
	done := waitForPhase(t, run, rpav1alpha1.PhaseTimedOut, runTimeout)
	NewWithT(t).Expect(reason(done)).To(Equal(rpav1alpha1.ReasonDeadlineExceeded))
}

func TestCancellingARunningRunStopsItsPod(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	robot := testRobot(t, ns, "paula", nil)
	run := startRun(t, ns, "stop-me", robot.Name, map[string]string{"mode": "sleep", "sleep": "10m"})
	running := waitForPhase(t, run, rpav1alpha1.PhaseRunning, runTimeout)

	g := NewWithT(t)
	g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		current := getRun(g, ns, run.Name)
		current.Spec.Cancel = true
		return k8sClient.Update(context.Background(), current)
	})).To(Succeed())
	done := waitForPhase(t, run, rpav1alpha1.PhaseCancelled, runTimeout)
	g.Expect(reason(done)).To(Equal(rpav1alpha1.ReasonCancelled))
	g.Eventually(func() bool {
		err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: running.Status.PodName}, &corev1.Pod{})
		return apierrors.IsNotFound(err)
	}, runTimeout, poll).Should(BeTrue(), "the robot's pod is gone")
}

func TestImageThatDoesNotExistIsReportedAsImagePullFailed(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	robot := testRobot(t, ns, "missing-image", func(r *rpav1alpha1.Robot) {
		r.Spec.Template.Image = "localhost/rpa-robots/does-not-exist:dev"
	})
	run := startRun(t, ns, "no-image", robot.Name, nil)
	done := waitForPhase(t, run, rpav1alpha1.PhaseFailed, runTimeout)
	g := NewWithT(t)
	g.Expect(reason(done)).To(Equal(rpav1alpha1.ReasonImagePullFailed))
	g.Expect(done.Status.Message).To(ContainSubstring("does-not-exist"))
}

func TestKubectlShowsRunsAndTheirLogs(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	robot := testRobot(t, ns, "residence-check", nil)
	run := startRun(t, ns, "quarter", robot.Name, nil)
	done := waitForPhase(t, run, rpav1alpha1.PhaseSucceeded, runTimeout)

	g := NewWithT(t)
	table := kubectl(t, "-n", ns, "get", "robotruns")
	header := strings.Fields(strings.SplitN(table, "\n", 2)[0])
	g.Expect(header).To(Equal([]string{"NAME", "ROBOT", "TRIGGER", "PHASE", "REASON", "ITEMS", "STARTED", "DURATION", "AGE"}))
	g.Expect(table).To(MatchRegexp(`quarter\s+residence-check\s+Manual\s+Succeeded\s+Completed\s+3\s`))
	g.Expect(kubectl(t, "-n", ns, "get", "rr", "quarter", "-o", "name")).To(Equal("robotrun.rpa.dev/quarter\n"))

	logs := kubectl(t, "-n", ns, "logs", done.Status.PodName)
	g.Expect(logs).To(ContainSubstring("quarter"))
}
