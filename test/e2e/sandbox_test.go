//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox"
)

// The sample robots (robots/*) against the sandbox, in real pods that reach
// it by its Service name. Each test has its own sandbox, so the records it
// reads back are its own runs' work.

func TestWelcomeLettersSendEachLetterOnce(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	sb := deploySandbox(t, ns, nil)
	sampleRobot(t, ns, "welcome-letters", sb, nil)

	first := waitForPhase(t, startRun(t, ns, "letters-1", "welcome-letters", nil), rpav1alpha1.PhaseSucceeded, 3*time.Minute)

	var cpr struct{ MoveIns []sandbox.MoveIn }
	sb.read(g, "/cpr/move-ins", &cpr)
	var outbox struct{ Letters []sandbox.Letter }
	sb.read(g, "/digital-post/outbox", &outbox)
	var tasks struct{ Tasks []sandbox.Task }
	sb.read(g, "/tasks", &tasks)
	letters := countBy(outbox.Letters, func(l sandbox.Letter) string { return l.MoveInID })
	handedOver := countBy(tasks.Tasks, func(t sandbox.Task) string { return t.Reference.ID })
	roskilde := 0
	for _, m := range cpr.MoveIns {
		if m.Municipality != "Roskilde" {
			g.Expect(m.Status).To(Equal(sandbox.MoveInNew), "%s is another municipality's", m.ID)
			g.Expect(letters[m.ID]+handedOver[m.ID]).To(BeZero(), m.ID)
			continue
		}
		roskilde++
		if m.AddressProtected {
			g.Expect(m.Status).To(Equal(sandbox.MoveInHandedOver), m.ID)
			g.Expect([]int{letters[m.ID], handedOver[m.ID]}).To(Equal([]int{0, 1}), "%s: one task, no letter", m.ID)
			continue
		}
		g.Expect(m.Status).To(Equal(sandbox.MoveInLetterSent), m.ID)
		g.Expect([]int{letters[m.ID], handedOver[m.ID]}).To(Equal([]int{1, 0}), "%s: one letter, no task", m.ID)
	}
	for _, l := range outbox.Letters {
		want := "welcome"
		if moveIn(cpr.MoveIns, l.MoveInID).HasChildren {
			want = "welcome-children"
		}
		g.Expect(l.Template).To(Equal(want), l.MoveInID)
		g.Expect(l.SentBy).To(Equal("robot-welcome-letters"), "the robot's account from its Secret")
	}
	g.Expect(roskilde).To(BeNumerically(">", 0))
	g.Expect(first.Status.Result).NotTo(BeNil())
	g.Expect(*first.Status.Result.ItemsProcessed).To(BeEquivalentTo(roskilde))

	// The next run finds nothing left and sends nothing again.
	second := waitForPhase(t, startRun(t, ns, "letters-2", "welcome-letters", nil), rpav1alpha1.PhaseSucceeded, 3*time.Minute)
	g.Expect(*second.Status.Result.ItemsProcessed).To(BeZero())
	st := sb.state(g)
	g.Expect(st.LettersSent).To(Equal(len(outbox.Letters)))
	g.Expect(st.LetterDuplicates).To(BeZero())
	g.Expect(st.IdempotencyConflicts).To(BeZero())
}

// TestCertificateJournalJournalsEachCertificateOnceThroughKillsAndTheRateLimit
// kills the robot mid-batch twice, once hard (SIGKILL, as the OOM killer
// would) and once gracefully (SIGTERM), against an ESDH that answers 429
// when it is called too fast. The retries finish the batch and every
// certificate ends journaled exactly once.
func TestCertificateJournalJournalsEachCertificateOnceThroughKillsAndTheRateLimit(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	const certificates = 40
	sb := deploySandbox(t, ns, map[string]string{
		"SANDBOX_CERTIFICATES":  "40",
		"SANDBOX_JOURNAL_RATE":  "2",
		"SANDBOX_JOURNAL_BURST": "2",
	})
	sampleRobot(t, ns, "certificate-journal", sb, func(r *rpav1alpha1.Robot) {
		r.Spec.Retries.Limit = 3
	})
	run := startRun(t, ns, "journal", "certificate-journal", nil)

	st := waitForState(t, sb, "some certificates journaled", func(s sandbox.State) bool { return s.Journaled >= 5 })
	g.Expect(st.Journaled).To(BeNumerically("<", certificates), "killed mid-batch")
	killed := killRobotContainer(t, run, "SIGKILL")

	waitForAttempt(t, run, 2)
	st = waitForState(t, sb, "the retry journals more", func(s sandbox.State) bool { return s.Journaled >= st.Journaled+5 })
	g.Expect(st.Journaled).To(BeNumerically("<", certificates), "stopped mid-batch")
	stopped := killRobotContainer(t, run, "SIGTERM")

	done := waitForEnd(t, run, 5*time.Minute)
	g.Expect(done.Status.Phase == rpav1alpha1.PhaseSucceeded || reason(done) == rpav1alpha1.ReasonBusinessException).
		To(BeTrue(), "ended %s %s: %s", done.Status.Phase, reason(done), done.Status.Message)
	g.Expect(done.Status.Attempts).To(BeEquivalentTo(3))
	g.Expect(exitCode(g, ns, killed)).To(BeEquivalentTo(137), "the killed attempt")
	g.Expect(exitCode(g, ns, stopped)).To(BeEquivalentTo(143), "the attempt stopped by SIGTERM reports it")

	var journal struct{ Entries []sandbox.JournalEntry }
	sb.read(g, "/esdh/journal", &journal)
	perCertificate := countBy(journal.Entries, func(e sandbox.JournalEntry) string { return e.CertificateID })
	var certs struct{ Certificates []sandbox.Certificate }
	sb.read(g, "/certificates", &certs)
	var hr struct{ Tasks []sandbox.Task }
	sb.read(g, "/tasks?queue=hr", &hr)
	flags := countBy(hr.Tasks, func(t sandbox.Task) string { return t.Reference.ID })
	g.Expect(certs.Certificates).To(HaveLen(certificates))
	flagged := 0
	for _, c := range certs.Certificates {
		g.Expect(perCertificate[c.ID]).To(Equal(1), "%s journaled once", c.ID)
		g.Expect(c.Done).To(BeTrue(), c.ID)
		if c.FlaggedForHR {
			flagged++
			g.Expect(flags[c.ID]).To(Equal(1), "%s flagged for HR once", c.ID)
		} else {
			g.Expect(flags[c.ID]).To(BeZero(), c.ID)
		}
	}
	g.Expect(flagged).To(BeNumerically(">", 0), "the sandbox has certificates that are not clean")

	st = sb.state(g)
	t.Logf("journaled %d, flagged %d, ESDH refusals (429) %d, replayed repeats %d, attempts %d",
		st.Journaled, flagged, st.Rejected429, st.JournalDuplicates, done.Status.Attempts)
	g.Expect(st.Journaled).To(Equal(certificates))
	g.Expect(st.IdempotencyConflicts).To(BeZero())
	// ESDH did push back, and the robot waited as told instead of hammering
	// it: at most one refusal per entry.
	g.Expect(st.Rejected429).To(BeNumerically(">", 0), "the rate limit was reached")
	g.Expect(st.Rejected429).To(BeNumerically("<=", certificates), "Retry-After respected")
}

func TestSystemMonitorFailsWhileASystemIsDown(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	sb := deploySandbox(t, ns, nil)
	sampleRobot(t, ns, "system-monitor", sb, nil)

	sb.put(g, "/systems/opus", `{"up": false}`)
	down := waitForEnd(t, startRun(t, ns, "check-down", "system-monitor", nil), 3*time.Minute)
	g.Expect(down.Status.Phase).To(Equal(rpav1alpha1.PhaseFailed))
	g.Expect(reason(down)).To(Equal(rpav1alpha1.ReasonRetriesExhausted), "down in both attempts")
	g.Expect(down.Status.Result).NotTo(BeNil())
	g.Expect(down.Status.Result.Summary).To(ContainSubstring("opus"))

	sb.put(g, "/systems/opus", `{"up": true, "latency": "50ms"}`)
	up := waitForPhase(t, startRun(t, ns, "check-up", "system-monitor", nil), rpav1alpha1.PhaseSucceeded, 3*time.Minute)
	g.Expect(*up.Status.Result.ItemsSucceeded).To(BeEquivalentTo(5))
	g.Expect(up.Status.Result.Summary).To(HavePrefix("5 of 5 systems up"))
}

func TestResidenceCheckOnDemandBatchChecksEachCitizenOnce(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	sb := deploySandbox(t, ns, map[string]string{"SANDBOX_FOREIGN_CITIZENS": "60"})
	sampleRobot(t, ns, "residence-check", sb, nil)
	args := map[string]string{"batch": "ekstra-e2e"}

	first := waitForPhase(t, startRun(t, ns, "batch-1", "residence-check", args), rpav1alpha1.PhaseSucceeded, 3*time.Minute)
	g.Expect(*first.Status.Result.ItemsProcessed).To(BeEquivalentTo(60))
	g.Expect(*first.Status.Result.BusinessExceptions).To(BeNumerically(">", 0), "unclear registrations became cases")
	again := waitForPhase(t, startRun(t, ns, "batch-2", "residence-check", args), rpav1alpha1.PhaseSucceeded, 3*time.Minute)
	g.Expect(*again.Status.Result.ItemsProcessed).To(BeZero(), "the batch is done")

	var checks struct{ Checks []sandbox.ResidenceCheck }
	sb.read(g, "/cpr/residence-checks?batch=ekstra-e2e", &checks)
	perCitizen := countBy(checks.Checks, func(c sandbox.ResidenceCheck) string { return c.CitizenID })
	g.Expect(perCitizen).To(HaveLen(60))
	for id, n := range perCitizen {
		g.Expect(n).To(Equal(1), "%s checked once", id)
	}
	st := sb.state(g)
	g.Expect(st.ResidenceCheckDuplicates).To(BeZero())
	g.Expect(st.IdempotencyConflicts).To(BeZero())
}

// countBy counts items by key.
func countBy[T any](items []T, key func(T) string) map[string]int {
	n := map[string]int{}
	for _, it := range items {
		n[key(it)]++
	}
	return n
}

func moveIn(all []sandbox.MoveIn, id string) sandbox.MoveIn {
	for _, m := range all {
		if m.ID == id {
			return m
		}
	}
	return sandbox.MoveIn{}
}

// waitForAttempt waits until the run's attempt n has a running pod.
func waitForAttempt(t *testing.T, run *rpav1alpha1.RobotRun, n int32) {
	t.Helper()
	NewWithT(t).Eventually(func(g Gomega) {
		got := getRun(g, run.Namespace, run.Name)
		g.Expect(got.Status.Attempts).To(BeNumerically(">=", n))
		g.Expect(got.Status.Phase).To(Equal(rpav1alpha1.PhaseRunning))
	}, 2*time.Minute, poll).Should(Succeed())
}

// exitCode is the exit code the robot container of a pod ended with.
func exitCode(g Gomega, ns, pod string) int32 {
	var p corev1.Pod
	g.Expect(k8sClient.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: pod}, &p)).To(Succeed())
	g.Expect(p.Status.ContainerStatuses).NotTo(BeEmpty())
	term := p.Status.ContainerStatuses[0].State.Terminated
	g.Expect(term).NotTo(BeNil(), "%s has ended", pod)
	if term.ExitCode == 143 {
		g.Expect(strings.ToLower(term.Message)).To(ContainSubstring("sigterm"), "the summary says why it stopped")
	}
	return term.ExitCode
}

// TestCertificateFleetSharesESDHThroughATargetSystem runs three
// certificate robots at once against one ESDH, declared as a TargetSystem
// with maxConcurrentRuns 1: one robot pod works against ESDH at a time, the
// others wait in Queued (WaitingForSystem), every certificate is journaled
// once and ESDH's rate limit holds.
func TestCertificateFleetSharesESDHThroughATargetSystem(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	const certificates = 30
	sb := deploySandbox(t, ns, map[string]string{
		"SANDBOX_CERTIFICATES":  "30",
		"SANDBOX_JOURNAL_RATE":  "2",
		"SANDBOX_JOURNAL_BURST": "2",
	})
	ts := &rpav1alpha1.TargetSystem{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-esdh"},
		Spec:       rpav1alpha1.TargetSystemSpec{MaxConcurrentRuns: 1},
	}
	g.Expect(k8sClient.Create(ctx, ts)).To(Succeed())
	t.Cleanup(func() { _ = k8sClient.Delete(ctx, ts) })
	runs := make([]*rpav1alpha1.RobotRun, 0, 3)
	for i, dept := range []string{"hr", "skole", "dagtilbud"} {
		name := "certificates-" + dept
		sampleRobot(t, ns, "certificate-journal", sb, func(r *rpav1alpha1.Robot) {
			r.Name = name
			r.Spec.Systems = []string{ts.Name}
			r.Spec.Priority = int32(i)
		})
		runs = append(runs, startRun(t, ns, name+"-1", name, nil))
	}

	// Watch the robot pods while the fleet works: never two at once.
	most := 0
	sawQueued := false
	g.Eventually(func(g Gomega) {
		var pods corev1.PodList
		g.Expect(k8sClient.List(ctx, &pods, client.InNamespace(ns), client.HasLabels{rpav1alpha1.LabelRobot})).To(Succeed())
		running := 0
		for _, p := range pods.Items {
			if p.Status.Phase == corev1.PodRunning || p.Status.Phase == corev1.PodPending {
				running++
			}
		}
		most = max(most, running)
		finished := 0
		for _, run := range runs {
			got := getRun(g, ns, run.Name)
			sawQueued = sawQueued || reason(got) == rpav1alpha1.ReasonWaitingForSystem
			if got.Status.Phase.Finished() {
				finished++
			}
		}
		g.Expect(finished).To(Equal(len(runs)))
	}, 5*time.Minute, 200*time.Millisecond).Should(Succeed())
	g.Expect(most).To(Equal(1), "robot pods at once")
	g.Expect(sawQueued).To(BeTrue(), "runs waited for the TargetSystem")

	var journal struct{ Entries []sandbox.JournalEntry }
	sb.read(g, "/esdh/journal", &journal)
	perCertificate := countBy(journal.Entries, func(e sandbox.JournalEntry) string { return e.CertificateID })
	g.Expect(perCertificate).To(HaveLen(certificates))
	for id, n := range perCertificate {
		g.Expect(n).To(Equal(1), "%s journaled once", id)
	}
	st := sb.state(g)
	t.Logf("fleet of %d robots: journaled %d, ESDH refusals (429) %d, most pods at once %d", len(runs), st.Journaled, st.Rejected429, most)
	g.Expect(st.Rejected429).To(BeNumerically("<=", certificates), "Retry-After respected")
	g.Expect(st.IdempotencyConflicts).To(BeZero())
}
