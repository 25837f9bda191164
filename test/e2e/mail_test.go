//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/mail"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/mail/samples"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox"
)

// deployPer creates Herning's mail robot in ns from its manifests
// (robots/mail-intake, robots/mail-sorter), pointed at the test's sandbox:
// the intake on its schedule every minute, the queue incoming-mail that
// starts the sorter, the rules ConfigMap and the Secrets.
func deployPer(t *testing.T, ns string, sb sandboxDeployment) {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	host := fmt.Sprintf("sandbox.%s.svc.cluster.local", ns)
	sampleSecrets(t, ns, "mail-intake")
	sampleSecrets(t, ns, "mail-sorter")
	rules, err := os.ReadFile(filepath.Join(repoRoot, "robots/mail-sorter/rules.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(k8sClient.Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "mail-sorter-rules"},
		Data:       map[string]string{"rules.yaml": string(rules)},
	})).To(Succeed())
	for _, dir := range []string{"mail-intake", "mail-sorter"} {
		robot := &rpav1alpha1.Robot{}
		g.Expect(yaml.Unmarshal(manifestDocs(t, filepath.Join("robots", dir, "robot.yaml"))[0], robot)).To(Succeed())
		robot.Namespace = ns
		for i, p := range robot.Spec.Parameters {
			switch p.Name {
			case "imapAddress":
				robot.Spec.Parameters[i].Default = ptr.To(host + ":143")
			case "smtpAddress":
				robot.Spec.Parameters[i].Default = ptr.To(host + ":25")
			case "sandboxURL":
				robot.Spec.Parameters[i].Default = ptr.To(sb.url())
			}
		}
		g.Expect(k8sClient.Create(ctx, robot)).To(Succeed())
	}
	sampleWorkQueue(t, ns, "mail-intake")
}

// post sends a sandbox endpoint a JSON body through the Service proxy.
func (s sandboxDeployment) post(g Gomega, path, body string, out any) {
	abs := fmt.Sprintf("/api/v1/namespaces/%s/services/sandbox:http/proxy%s", s.ns, path)
	data, err := clientset.CoreV1().RESTClient().Post().AbsPath(abs).
		SetHeader("Content-Type", "application/json").Body([]byte(body)).DoRaw(context.Background())
	g.Expect(err).NotTo(HaveOccurred(), "POST %s: %s", path, data)
	g.Expect(json.Unmarshal(data, out)).To(Succeed())
}

// runsOf are the runs of robot in ns.
func runsOf(g Gomega, ns, robot string) []rpav1alpha1.RobotRun {
	var out []rpav1alpha1.RobotRun
	for _, r := range runsIn(g, ns) {
		if r.Spec.RobotName == robot {
			out = append(out, r)
		}
	}
	return out
}

// TestPerSortsAHundredMailsOnceThroughKills: 100 mails arrive by SMTP in
// four bursts of 25; mail-intake (every minute) queues them and
// mail-sorter (started by the queue) routes them. The intake is SIGKILLed
// between adding a mail and moving it (the mailbox holds its MOVE back,
// then refuses it), the sorter SIGKILLed while it holds a mail. Still each
// mail ends in exactly one place, checked against the sandbox's own
// records: forwarded once to the department its rules name, journaled
// once on the person's case, or handed to a person with the reason; the
// mailbox's INBOX is empty. The time from arrival to destination is
// printed (p50, p95) for the undisturbed bursts and for all.
func TestPerSortsAHundredMailsOnceThroughKills(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	sb := deploySandbox(t, ns, map[string]string{
		// ESDH takes one entry a second: a sorter run lasts long enough to
		// be killed while it holds a mail.
		"SANDBOX_JOURNAL_RATE":  "1",
		"SANDBOX_JOURNAL_BURST": "1",
	})
	deployPer(t, ns, sb)
	items := workItems(t)
	var sent []samples.SentMail
	burst := func() {
		var out samples.Sent
		sb.post(g, "/mail/samples", `{"count": 25}`, &out)
		g.Expect(out.Mails).To(HaveLen(25))
		sent = append(sent, out.Mails...)
	}
	queued := func(g Gomega) []queuev1alpha1.WorkItem { return listItems(g, items, ns, "incoming-mail") }
	folders := func(g Gomega) map[string]uint32 {
		var st mail.State
		sb.read(g, "/mail/state", &st)
		return st.Folders
	}

	// Burst 1, undisturbed.
	burst()
	g.Eventually(func(g Gomega) { g.Expect(folders(g)[mail.Processed]).To(BeEquivalentTo(25)) }, 3*time.Minute, poll).Should(Succeed())

	// Burst 2: the mailbox holds each MOVE back, then refuses it; once a
	// mail is queued and not moved, the intake is killed, and the fault
	// lifted for its retry, which finds the item and moves the mail.
	sb.put(g, "/mail/faults", `{"moveDelay": "60s", "failMoves": true}`)
	burst()
	var intake rpav1alpha1.RobotRun
	g.Eventually(func(g Gomega) {
		g.Expect(len(queued(g))).To(BeNumerically(">", int(folders(g)[mail.Processed])), "a mail queued and not moved")
		running := false
		for _, r := range runsOf(g, ns, "mail-intake") {
			if r.Status.Phase == rpav1alpha1.PhaseRunning {
				intake, running = r, true
			}
		}
		g.Expect(running).To(BeTrue(), "an intake run is running")
	}, 3*time.Minute, poll).Should(Succeed())
	killRobotContainer(t, &intake, "SIGKILL")
	sb.put(g, "/mail/faults", `{"moveDelay": "0s", "failMoves": false}`)
	g.Eventually(func(g Gomega) {
		moved := false
		for _, r := range runsOf(g, ns, "mail-intake") {
			moved = moved || (r.Status.Result != nil && strings.Contains(r.Status.Result.Summary, "queued before a stop and moved now"))
		}
		g.Expect(moved).To(BeTrue(), "a later intake run found a mail queued and moved it")
		g.Expect(folders(g)[mail.Processed]).To(BeEquivalentTo(50))
	}, 3*time.Minute, poll).Should(Succeed())

	// Burst 3: the sorter is killed while it journals, until a kill lands
	// while it holds a mail (up to three kills).
	burst()
	retaken := false
	for kill := 1; kill <= 3 && !retaken; kill++ {
		var sorter rpav1alpha1.RobotRun
		before := journaledMails(g, sb)
		g.Eventually(func(g Gomega) {
			runs := activeTriggeredRuns(g, ns)
			g.Expect(runs).NotTo(BeEmpty())
			sorter = runs[0]
			g.Expect(sorter.Status.Phase).To(Equal(rpav1alpha1.PhaseRunning))
			g.Expect(journaledMails(g, sb)).To(BeNumerically(">", before), "the sorter is journaling")
		}, 3*time.Minute, 200*time.Millisecond).Should(Succeed())
		killRobotContainer(t, &sorter, "SIGKILL")
		g.Eventually(func(g Gomega) {
			all := queued(g)
			retaken = len(retakenItems(all)) > 0
			for _, it := range all {
				retaken = retaken || (it.Status.State == "New" && it.Status.Attempts == 1)
			}
			g.Expect(itemsByState(all)["InProgress"]).To(BeZero(), "the killed pod's hold ends")
		}, time.Minute, poll).Should(Succeed())
	}
	g.Expect(retaken).To(BeTrue(), "a kill landed while the sorter held a mail")

	// Burst 4, undisturbed; then every mail must end, and the inbox empty.
	burst()
	var all []queuev1alpha1.WorkItem
	g.Eventually(func(g Gomega) {
		all = queued(g)
		g.Expect(all).To(HaveLen(100))
		for _, it := range all {
			g.Expect(it.Status.State).To(BeElementOf("Done", "BusinessException"), "item %s (%s)", it.Name, it.Spec.Reference)
		}
		g.Expect(folders(g)).To(Equal(map[string]uint32{mail.Inbox: 0, mail.Processed: 100}))
	}, 8*time.Minute, time.Second).Should(Succeed())
	g.Expect(retakenItems(all)).NotTo(BeEmpty(), "the sorter's killed mail was taken again")
	checkEachMailEndedOnce(t, sb, sent, all)
}

// journaledMails counts ESDH's journal entries about mail.
func journaledMails(g Gomega, sb sandboxDeployment) int {
	var journal struct{ Entries []sandbox.JournalEntry }
	sb.read(g, "/esdh/journal", &journal)
	n := 0
	for _, e := range journal.Entries {
		if e.Document != nil && e.Document.Kind == sandbox.DocMail {
			n++
		}
	}
	return n
}

// The reason a person sees, by the kind of mail the robot cannot place.
var wantReasons = map[samples.Kind]string{
	samples.TwoCases:   "open cases",
	samples.NoOpenCase: "no open case",
	samples.Unplaced:   "no rule places this mail",
}

// checkEachMailEndedOnce compares the sandbox's records with what was
// sent: each mail in exactly one place, the one its kind calls for.
func checkEachMailEndedOnce(t *testing.T, sb sandboxDeployment, sent []samples.SentMail, items []queuev1alpha1.WorkItem) {
	g := NewWithT(t)
	var deliveries []mail.Delivery
	sb.read(g, "/mail/deliveries", &deliveries)
	g.Expect(deliveries).To(HaveLen(len(sent)))
	var forwards []mail.Forward
	sb.read(g, "/mail/forwards", &forwards)
	var journal struct{ Entries []sandbox.JournalEntry }
	sb.read(g, "/esdh/journal", &journal)

	// A mail sent without a Message-ID got one on arrival: its envelope
	// sender, unique per such sample, tells which.
	sample := map[string]samples.SentMail{}
	bySender := map[string]samples.SentMail{}
	for _, s := range sent {
		if s.MessageID == "" {
			bySender[s.From] = s
		} else {
			sample[s.MessageID] = s
		}
	}
	arrived := map[string]time.Time{}
	for _, d := range deliveries {
		arrived[d.MessageID] = d.At
		if s, ok := bySender[d.From]; ok {
			sample[d.MessageID] = s
		}
	}
	g.Expect(sample).To(HaveLen(len(sent)), "every delivery is a sample sent")

	ended := map[string][]time.Time{} // Message-ID: each place it ended
	wantTo := map[samples.Kind]string{samples.Invoice: "okonomi@herning.dk", samples.Building: "byg@herning.dk", samples.Question: "borgerservice@herning.dk"}
	for _, f := range forwards {
		s := sample[f.MessageID]
		g.Expect(f.To).To(Equal(wantTo[s.Kind]), "mail %s (%s) forwarded to", f.MessageID, s.Kind)
		ended[f.MessageID] = append(ended[f.MessageID], f.At)
	}
	for _, e := range journal.Entries {
		if e.Document == nil || e.Document.Kind != sandbox.DocMail {
			continue
		}
		s := sample[e.Document.ID]
		g.Expect(s.Kind).To(Equal(samples.CaseDocument), "journaled mail %s", e.Document.ID)
		g.Expect(e.CaseNumber).To(Equal(s.CaseNumber), "mail %s journaled on", e.Document.ID)
		at, err := time.Parse(time.RFC3339, e.JournaledAt)
		g.Expect(err).NotTo(HaveOccurred())
		ended[e.Document.ID] = append(ended[e.Document.ID], at)
	}
	exceptions := 0
	for _, it := range items {
		if it.Status.State != "BusinessException" {
			continue
		}
		exceptions++
		s := sample[it.Spec.Reference]
		g.Expect(wantReasons).To(HaveKey(s.Kind), "item %s handed to a person: %s", it.Name, it.Status.Reason)
		g.Expect(it.Status.Reason).To(ContainSubstring(wantReasons[s.Kind]), "item %s (%s)", it.Name, s.Kind)
		ended[it.Spec.Reference] = append(ended[it.Spec.Reference], it.Status.FinishTime.Time)
	}
	g.Expect(exceptions).To(Equal(len(sent) / 10))

	quiet := make([]time.Duration, 0, len(arrived)) // bursts 1 and 4, without kills
	every := make([]time.Duration, 0, len(arrived))
	for id, at := range arrived {
		g.Expect(ended[id]).To(HaveLen(1), "mail %s (%s) ended once", id, sample[id].Kind)
		d := ended[id][0].Sub(at)
		every = append(every, d)
		if n := sample[id].N; n < 25 || n >= 75 {
			quiet = append(quiet, d)
		}
	}
	t.Logf("%d mails: %d forwarded, %d journaled, %d to a person; arrival to destination: bursts 1 and 4 p50 %s p95 %s; all p50 %s p95 %s max %s",
		len(arrived), len(forwards), len(arrived)-len(forwards)-exceptions, exceptions,
		quantile(quiet, 0.5), quantile(quiet, 0.95), quantile(every, 0.5), quantile(every, 0.95), quantile(every, 1))
}

// quantile is the q-quantile of ds (nearest rank), to the second.
func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))].Round(time.Second)
}
