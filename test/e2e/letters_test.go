//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox"
)

// Herning's letter robots (issue 22) against the sandbox, in real pods,
// checked against the sandbox's own records: Olli's reminders through a
// limit and a SIGKILL, and Paula's letters journaled in an ESDH she shares
// with the certificate robot.

// TestOlliSendsFortyLettersARunAndNoLetterTwiceThroughAKill: bbr-extract
// queues 130 owners (one item per BBR unit); olli with limit=40 sends
// exactly 40 letters and leaves 90 items New; extracting again adds
// nothing; a second run sends the next 40. A third run is SIGKILLed while
// it holds an item; the next run takes that item again (attempt 2) and the
// letter's idempotency key makes the repeat a duplicate, never a second
// letter. The owners who are exceptions (placed after the first 80 by
// the sandbox's SANDBOX_OIL_TANK_EXCEPTIONS_FROM) end as business
// exceptions that say why.
func TestOlliSendsFortyLettersARunAndNoLetterTwiceThroughAKill(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	const owners, limit = 130, 40
	sb := deploySandbox(t, ns, map[string]string{
		"SANDBOX_OIL_TANKS":                fmt.Sprint(owners),
		"SANDBOX_OIL_TANK_EXCEPTIONS_FROM": "81",
		// Digital Post answers a sent letter after 300 ms: a kill lands
		// while olli holds an item, most likely after its letter went out.
		"SANDBOX_LETTER_DELAY": "300ms",
	})
	wq := sampleWorkQueue(t, ns, "olli")
	sampleRobot(t, ns, "bbr-extract", sb, nil)
	sampleRobot(t, ns, "olli", sb, nil)
	items := workItems(t)

	extract := waitForPhase(t, startRun(t, ns, "extract-1", "bbr-extract", nil), rpav1alpha1.PhaseSucceeded, 3*time.Minute)
	g.Expect(*extract.Status.Result.ItemsSucceeded).To(BeEquivalentTo(owners))
	g.Eventually(func(g Gomega) {
		g.Expect(itemsByState(listItems(g, items, ns, wq))).To(Equal(map[string]int{"New": owners}))
	}, time.Minute, poll).Should(Succeed())

	// The first run: exactly 40 letters, 90 items New.
	first := waitForPhase(t, startRun(t, ns, "olli-1", "olli", map[string]string{"limit": fmt.Sprint(limit)}), rpav1alpha1.PhaseSucceeded, 3*time.Minute)
	g.Expect(*first.Status.Result.ItemsSucceeded).To(BeEquivalentTo(limit))
	g.Expect(sb.state(g).LettersSent).To(Equal(limit))
	g.Expect(itemsByState(listItems(g, items, ns, wq))).To(Equal(map[string]int{"Done": limit, "New": owners - limit}))

	// Extracting again adds nothing twice.
	again := waitForPhase(t, startRun(t, ns, "extract-2", "bbr-extract", nil), rpav1alpha1.PhaseSucceeded, 3*time.Minute)
	g.Expect(again.Status.Result.Summary).To(ContainSubstring(fmt.Sprintf("0 added to %s, %d already there", wq, owners-limit)))
	g.Expect(listItems(g, items, ns, wq)).To(HaveLen(owners))

	// The second run sends the next 40.
	waitForPhase(t, startRun(t, ns, "olli-2", "olli", map[string]string{"limit": fmt.Sprint(limit)}), rpav1alpha1.PhaseSucceeded, 3*time.Minute)
	g.Expect(sb.state(g).LettersSent).To(Equal(2 * limit))
	for _, it := range listItems(g, items, ns, wq) {
		if it.Status.State == "Done" {
			g.Expect(it.Spec.Reference <= unitID(2*limit)).To(BeTrue(), "%s: the oldest items are taken first", it.Spec.Reference)
		}
	}

	// Kill a run while it holds an item (olli has no retries: a retry
	// would take another 40). Its item goes back to New, one attempt
	// spent; try again if a kill lands between two items.
	var retaken string
	for kill := 1; kill <= 3 && retaken == ""; kill++ {
		before := sb.state(g).LettersSent
		run := startRun(t, ns, fmt.Sprintf("olli-killed-%d", kill), "olli", map[string]string{"limit": fmt.Sprint(limit)})
		waitForState(t, sb, "the run sends letters", func(s sandbox.State) bool { return s.LettersSent >= before+3 })
		killRobotContainer(t, run, "SIGKILL")
		g.Expect(waitForEnd(t, run, 2*time.Minute).Status.Phase).To(Equal(rpav1alpha1.PhaseFailed))
		g.Eventually(func(g Gomega) {
			g.Expect(itemsByState(listItems(g, items, ns, wq))["InProgress"]).To(BeZero(), "the killed pod's hold ends")
		}, time.Minute, poll).Should(Succeed())
		for _, it := range listItems(g, items, ns, wq) {
			if it.Status.State == "New" && it.Status.Attempts == 1 {
				retaken = it.Spec.Reference
			}
		}
	}
	g.Expect(retaken).NotTo(BeEmpty(), "a kill landed while olli held an item")

	// The last run takes what is left, the interrupted item first.
	last := waitForPhase(t, startRun(t, ns, "olli-rest", "olli", map[string]string{"limit": "0"}), rpav1alpha1.PhaseSucceeded, 5*time.Minute)
	final := listItems(g, items, ns, wq)
	byRef := map[string]queuev1alpha1.WorkItem{}
	for _, it := range final {
		byRef[it.Spec.Reference] = it
	}
	g.Expect(byRef[retaken].Status.State).To(Equal("Done"), "the interrupted item")
	g.Expect(byRef[retaken].Status.Attempts).To(BeEquivalentTo(2), "the interrupted item")

	// The sandbox's records: one letter per reachable owner, none to the
	// others, each item ended accordingly.
	var outbox struct{ Letters []sandbox.Letter }
	sb.read(g, "/digital-post/outbox", &outbox)
	perUnit := countBy(outbox.Letters, func(l sandbox.Letter) string { return l.About.ID })
	var bbr struct{ OilTanks []sandbox.OilTank }
	sb.read(g, "/bbr/oil-tanks", &bbr)
	g.Expect(bbr.OilTanks).To(HaveLen(owners))
	exceptions := 0
	for _, u := range bbr.OilTanks {
		it := byRef[u.UnitID]
		switch {
		case u.Owner.AddressProtected:
			exceptions++
			g.Expect([]any{it.Status.State, perUnit[u.UnitID]}).To(Equal([]any{"BusinessException", 0}), u.UnitID)
			g.Expect(it.Status.Reason).To(ContainSubstring("name and address protection"), u.UnitID)
		case !u.Owner.DigitalPost:
			exceptions++
			g.Expect([]any{it.Status.State, perUnit[u.UnitID]}).To(Equal([]any{"BusinessException", 0}), u.UnitID)
			g.Expect(it.Status.Reason).To(ContainSubstring("no Digital Post mailbox"), u.UnitID)
		default:
			g.Expect([]any{it.Status.State, perUnit[u.UnitID]}).To(Equal([]any{"Done", 1}), "%s: one letter", u.UnitID)
			g.Expect(u.ReminderLetterID).NotTo(BeEmpty(), u.UnitID)
		}
	}
	g.Expect(exceptions).To(Equal(5), "units 89, 95, 109, 115 and 129")
	g.Expect(*last.Status.Result.BusinessExceptions).To(BeNumerically(">", 0))
	for _, l := range outbox.Letters {
		g.Expect(l.SentBy).To(Equal("robot-herning-olli"), "the robot's account from its Secret")
	}
	st := sb.state(g)
	g.Expect(st.LettersSent).To(Equal(owners - exceptions))
	g.Expect(st.OilTankReminders).To(Equal(owners - exceptions))
	g.Expect(st.IdempotencyConflicts).To(BeZero())
	t.Logf("letters %d, business exceptions %d, interrupted item %s, repeats answered from the ledger %d", st.LettersSent, exceptions, retaken, st.LetterDuplicates)
}

// TestPaulaJournalsEachLetterOnceBesideTheCertificateRobot: a caseworker
// queues Paula's due letters (varsel and påbud) with kubectl robot queue
// add while certificate-journal journals its certificates; both robots
// name one TargetSystem for ESDH (maxConcurrentRuns 1). Paula's pod is
// SIGKILLed while it holds an item. Every letter is sent and journaled in
// its property's case exactly once, every certificate journaled once,
// never two robot pods at once, and ESDH's rate limit holds: the robots
// wait as Retry-After asks, and no second of ESDH's journal holds more
// entries than its bucket lets through.
func TestPaulaJournalsEachLetterOnceBesideTheCertificateRobot(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	const certificates, rate, burst = 20, 2, 2
	sb := deploySandbox(t, ns, map[string]string{
		"SANDBOX_SEWER_PROPERTIES": "30",
		"SANDBOX_CERTIFICATES":     fmt.Sprint(certificates),
		"SANDBOX_JOURNAL_RATE":     fmt.Sprint(rate),
		"SANDBOX_JOURNAL_BURST":    fmt.Sprint(burst),
	})
	ts := &rpav1alpha1.TargetSystem{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-esdh"},
		Spec:       rpav1alpha1.TargetSystemSpec{MaxConcurrentRuns: 1},
	}
	g.Expect(k8sClient.Create(ctx, ts)).To(Succeed())
	t.Cleanup(func() { _ = k8sClient.Delete(ctx, ts) })
	shareESDH := func(r *rpav1alpha1.Robot) { r.Spec.Systems = []string{ts.Name} }
	sampleRobot(t, ns, "certificate-journal", sb, shareESDH)
	sampleRobot(t, ns, "paula", sb, shareESDH)
	sampleSecrets(t, ns, "paula")
	wq := sampleWorkQueue(t, ns, "paula")
	items := workItems(t)

	// The certificate robot starts first and holds ESDH; Paula's
	// trigger run waits for it.
	certRun := startRun(t, ns, "certificates-1", "certificate-journal", nil)
	queued := addDueLetters(t, ns, sb, wq)

	var paulaRun rpav1alpha1.RobotRun
	most, retaken := 0, false
	watchPods := func(g Gomega) {
		var pods corev1.PodList
		g.Expect(k8sClient.List(ctx, &pods, client.InNamespace(ns), client.HasLabels{rpav1alpha1.LabelRobot})).To(Succeed())
		running := 0
		for _, p := range pods.Items {
			if p.Status.Phase == corev1.PodRunning || p.Status.Phase == corev1.PodPending {
				running++
			}
		}
		most = max(most, running)
	}
	for kill := 1; kill <= 3 && !retaken; kill++ {
		before := sb.state(g).SewerLettersJournaled
		g.Eventually(func(g Gomega) {
			watchPods(g)
			runs := activeTriggeredRuns(g, ns)
			g.Expect(runs).NotTo(BeEmpty())
			paulaRun = runs[0]
			g.Expect(paulaRun.Status.Phase).To(Equal(rpav1alpha1.PhaseRunning))
			g.Expect(sb.state(g).SewerLettersJournaled).To(BeNumerically(">=", before+3), "Paula is journaling")
		}, 5*time.Minute, 200*time.Millisecond).Should(Succeed())
		killRobotContainer(t, &paulaRun, "SIGKILL")
		g.Eventually(func(g Gomega) {
			watchPods(g)
			for _, it := range listItems(g, items, ns, wq) {
				retaken = retaken || it.Status.Attempts > 1 || (it.Status.State == "New" && it.Status.Attempts == 1)
			}
			g.Expect(itemsByState(listItems(g, items, ns, wq))["InProgress"]).To(BeZero(), "the killed pod's hold ends")
		}, time.Minute, poll).Should(Succeed())
	}
	g.Expect(retaken).To(BeTrue(), "a kill landed while Paula held an item")

	// Every item ends, and both robots' runs.
	var final []queuev1alpha1.WorkItem
	g.Eventually(func(g Gomega) {
		watchPods(g)
		final = listItems(g, items, ns, wq)
		g.Expect(final).To(HaveLen(queued))
		for _, it := range final {
			g.Expect(it.Status.State).To(BeElementOf("Done", "BusinessException"), "item %s", it.Spec.Reference)
		}
		g.Expect(activeTriggeredRuns(g, ns)).To(BeEmpty())
		g.Expect(getRun(g, ns, certRun.Name).Status.Phase.Finished()).To(BeTrue())
	}, 8*time.Minute, 200*time.Millisecond).Should(Succeed())
	g.Expect(most).To(Equal(1), "robot pods at once against the shared ESDH")
	g.Expect(retakenItems(final)).NotTo(BeEmpty(), "the item held at a kill was taken again")

	// The sandbox's records.
	var outbox struct{ Letters []sandbox.Letter }
	sb.read(g, "/digital-post/outbox", &outbox)
	var journal struct{ Entries []sandbox.JournalEntry }
	sb.read(g, "/esdh/journal", &journal)
	var props struct{ Properties []sandbox.SewerProperty }
	sb.read(g, "/sewer/properties", &props)
	cases := map[string]string{}
	for _, p := range props.Properties {
		cases[p.ID] = p.CaseNumber
	}
	letters := countBy(outbox.Letters, func(l sandbox.Letter) string { return l.About.ID + "/" + l.Template })
	entries := map[string][]sandbox.JournalEntry{}
	perCertificate := map[string]int{}
	for _, e := range journal.Entries {
		if e.Document != nil {
			entries[e.Document.ID] = append(entries[e.Document.ID], e)
		} else {
			perCertificate[e.CertificateID]++
		}
	}
	done := 0
	for _, it := range final {
		property, step, _ := strings.Cut(it.Spec.Reference, "/")
		sent := letters[property+"/separatkloakering-"+step]
		if it.Status.State == "BusinessException" {
			g.Expect(sent).To(BeZero(), "%s: no letter from the robot", it.Spec.Reference)
			g.Expect(it.Status.Reason).NotTo(BeEmpty(), it.Spec.Reference)
			continue
		}
		done++
		g.Expect(sent).To(Equal(1), "%s: one letter", it.Spec.Reference)
	}
	g.Expect(done).To(BeNumerically(">", 0))
	for _, l := range outbox.Letters {
		e := entries[l.ID]
		g.Expect(e).To(HaveLen(1), "letter %s journaled once", l.ID)
		g.Expect(e[0].CaseNumber).To(Equal(cases[l.About.ID]), "letter %s in its property's case", l.ID)
		g.Expect(e[0].JournaledBy).To(Equal("robot-herning-paula-esdh"))
	}
	g.Expect(perCertificate).To(HaveLen(certificates))
	for id, n := range perCertificate {
		g.Expect(n).To(Equal(1), "%s journaled once", id)
	}
	// No second of the journal holds more than the bucket lets through:
	// a full burst and a second's worth of tokens.
	for second, n := range countBy(journal.Entries, func(e sandbox.JournalEntry) string { return e.JournaledAt }) {
		g.Expect(n).To(BeNumerically("<=", burst+rate), "entries journaled at %s", second)
	}
	st := sb.state(g)
	g.Expect(st.SewerLetters).To(Equal(done))
	g.Expect(st.SewerLettersJournaled).To(Equal(done))
	g.Expect(st.Journaled).To(Equal(done + certificates))
	g.Expect(st.Rejected429).To(BeNumerically("<=", st.Journaled), "Retry-After respected")
	g.Expect(st.IdempotencyConflicts).To(BeZero())
	t.Logf("letters %d, certificates %d, ESDH refusals (429) %d, replayed journal repeats %d, items taken again %d",
		done, certificates, st.Rejected429, st.JournalDuplicates, len(retakenItems(final)))
}

// sampleWorkQueue creates robots/<dir>/workqueue.yaml in ns and returns
// the queue's name.
func sampleWorkQueue(t *testing.T, ns, dir string) string {
	t.Helper()
	wq := &rpav1alpha1.WorkQueue{}
	NewWithT(t).Expect(yaml.Unmarshal(manifestDocs(t, filepath.Join("robots", dir, "workqueue.yaml"))[0], wq)).To(Succeed())
	wq.Namespace = ns
	NewWithT(t).Expect(k8sClient.Create(context.Background(), wq)).To(Succeed())
	return wq.Name
}

// sampleSecrets creates every Secret of robots/<dir>/secret.yaml in ns;
// sampleRobot creates the first.
func sampleSecrets(t *testing.T, ns, dir string) {
	t.Helper()
	g := NewWithT(t)
	for _, doc := range manifestDocs(t, filepath.Join("robots", dir, "secret.yaml")) {
		var secret corev1.Secret
		g.Expect(yaml.Unmarshal(doc, &secret)).To(Succeed())
		secret.Namespace = ns
		g.Expect(client.IgnoreAlreadyExists(k8sClient.Create(context.Background(), &secret))).To(Succeed())
	}
}

// addDueLetters adds an item for every property due for a varsel or a
// påbud, as a caseworker would from the sandbox's list, with kubectl robot
// queue add; it returns how many.
func addDueLetters(t *testing.T, ns string, sb sandboxDeployment, queue string) int {
	t.Helper()
	g := NewWithT(t)
	var lines strings.Builder
	n := 0
	for _, step := range []string{sandbox.StepVarsel, sandbox.StepPaabud} {
		var due struct{ Properties []sandbox.SewerProperty }
		sb.read(g, "/sewer/properties?due="+step, &due)
		g.Expect(due.Properties).NotTo(BeEmpty(), "properties due for a %s", step)
		for _, p := range due.Properties {
			line, err := json.Marshal(map[string]any{"reference": p.ID + "/" + step, "payload": map[string]string{"propertyId": p.ID, "step": step}})
			g.Expect(err).NotTo(HaveOccurred())
			lines.Write(append(line, '\n'))
			n++
		}
	}
	file := filepath.Join(t.TempDir(), "letters.jsonl")
	g.Expect(os.WriteFile(file, []byte(lines.String()), 0o600)).To(Succeed())
	out, errOut, code := runPlugin(t, buildPlugin(t), "-n", ns, "queue", "add", queue, "-f", file)
	g.Expect(code).To(BeZero(), "queue add: %s %s", out, errOut)
	g.Expect(out + errOut).To(ContainSubstring(fmt.Sprintf("added %d", n)))
	return n
}

// itemsByState counts items by their state.
func itemsByState(items []queuev1alpha1.WorkItem) map[string]int {
	return countBy(items, func(it queuev1alpha1.WorkItem) string { return it.Status.State })
}

// retakenItems are the items taken more than once.
func retakenItems(items []queuev1alpha1.WorkItem) []string {
	var out []string
	for _, it := range items {
		if it.Status.Attempts > 1 {
			out = append(out, it.Spec.Reference)
		}
	}
	return out
}

// unitID is the sandbox's id of BBR unit n.
func unitID(n int) string { return fmt.Sprintf("BBR-%06d", n) }
