//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
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
	for _, file := range []string{"robots/mail-intake/secret.yaml", "robots/mail-sorter/secret.yaml"} {
		var secret corev1.Secret
		g.Expect(yaml.Unmarshal(manifestDocs(t, file)[0], &secret)).To(Succeed())
		secret.Namespace = ns
		g.Expect(k8sClient.Create(ctx, &secret)).To(Succeed())
	}
	rules := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "mail-sorter-rules"},
		Data:       map[string]string{"rules.yaml": string(bytesOf(t, "robots/mail-sorter/rules.yaml"))},
	}
	g.Expect(k8sClient.Create(ctx, rules)).To(Succeed())
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
	wq := &rpav1alpha1.WorkQueue{}
	g.Expect(yaml.Unmarshal(manifestDocs(t, "robots/mail-intake/workqueue.yaml")[0], wq)).To(Succeed())
	wq.Namespace = ns
	g.Expect(k8sClient.Create(ctx, wq)).To(Succeed())
}

func bytesOf(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, path))
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return data
}

// post sends a sandbox endpoint a JSON body through the Service proxy.
func (s sandboxDeployment) post(g Gomega, path, body string, out any) {
	abs := fmt.Sprintf("/api/v1/namespaces/%s/services/sandbox:http/proxy%s", s.ns, path)
	data, err := clientset.CoreV1().RESTClient().Post().AbsPath(abs).
		SetHeader("Content-Type", "application/json").Body([]byte(body)).DoRaw(context.Background())
	g.Expect(err).NotTo(HaveOccurred(), "POST %s: %s", path, data)
	g.Expect(json.Unmarshal(data, out)).To(Succeed())
}

// runningRun is a Running run of robot in ns, or nil.
func runningRun(g Gomega, ns, robot string) *rpav1alpha1.RobotRun {
	for _, r := range runsIn(g, ns) {
		if r.Spec.RobotName == robot && r.Status.Phase == rpav1alpha1.PhaseRunning {
			return &r
		}
	}
	return nil
}

// TestPerSortsAHundredMailsOnceThroughKills: 100 mails arrive by SMTP in
// four bursts of 25; mail-intake (every minute) queues them and
// mail-sorter (started by the queue) routes them. The intake is SIGKILLed
// between adding a mail and moving it (the mailbox holds its MOVE back),
// the sorter SIGKILLed while it holds a mail. Still each mail ends in
// exactly one place, checked against the sandbox's own records: forwarded
// once to the department its rules name, journaled once on the person's
// case, or handed to a person with the reason; the mailbox's INBOX is
// empty. The time from arrival to destination is printed (p95).
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
	queued := func(g Gomega) int { return len(listItems(g, items, ns, "incoming-mail")) }
	folders := func(g Gomega) map[string]uint32 {
		var st mail.State
		sb.read(g, "/mail/state", &st)
		return st.Folders
	}

	// Burst 1, undisturbed.
	burst()
	g.Eventually(func(g Gomega) { g.Expect(folders(g)[mail.Processed]).To(BeEquivalentTo(25)) }, 3*time.Minute, poll).Should(Succeed())

	// Burst 2: the mailbox holds MOVE back; once a mail is queued but not
	// moved, the intake is killed, and the fault is lifted for its retry.
	sb.put(g, "/mail/faults", `{"moveDelay": "90s"}`)
	burst()
	var intake *rpav1alpha1.RobotRun
	g.Eventually(func(g Gomega) {
		g.Expect(queued(g)).To(BeNumerically(">", int(folders(g)[mail.Processed])), "a mail queued and not moved")
		intake = runningRun(g, ns, "mail-intake")
		g.Expect(intake).NotTo(BeNil())
	}, 3*time.Minute, poll).Should(Succeed())
	killRobotContainer(t, intake, "SIGKILL")
	sb.put(g, "/mail/faults", `{"moveDelay": "0s"}`)

	// Burst 3: the sorter is killed while it holds a mail.
	burst()
	g.Eventually(func(g Gomega) {
		held := 0
		for _, it := range listItems(g, items, ns, "incoming-mail") {
			if it.Status.State == "InProgress" {
				held++
			}
		}
		g.Expect(held).To(BeNumerically(">", 0))
	}, 3*time.Minute, 100*time.Millisecond).Should(Succeed())
	var sorter *rpav1alpha1.RobotRun
	g.Eventually(func(g Gomega) {
		sorter = runningRun(g, ns, "mail-sorter")
		g.Expect(sorter).NotTo(BeNil())
	}, time.Minute, poll).Should(Succeed())
	killRobotContainer(t, sorter, "SIGKILL")

	// Burst 4, undisturbed; then every mail must end.
	burst()
	var all []queuev1alpha1.WorkItem
	g.Eventually(func(g Gomega) {
		all = listItems(g, items, ns, "incoming-mail")
		g.Expect(all).To(HaveLen(100))
		for _, it := range all {
			g.Expect(it.Status.State).To(BeElementOf("Done", "BusinessException"), "item %s (%s)", it.Name, it.Spec.Reference)
		}
	}, 8*time.Minute, time.Second).Should(Succeed())

	checkEachMailEndedOnce(t, sb, sent, all)
	g.Expect(folders(g)).To(Equal(map[string]uint32{mail.Inbox: 0, mail.Processed: 100}))
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

	arrived := map[string]time.Time{}
	for _, d := range deliveries {
		arrived[d.MessageID] = d.At
	}
	ended := map[string][]time.Time{} // Message-ID: each place it ended
	wantTo := map[samples.Kind]string{samples.Invoice: "okonomi@herning.dk", samples.Building: "byg@herning.dk", samples.Question: "borgerservice@herning.dk"}
	kindOf := map[string]samples.Kind{}
	for i, s := range sent {
		id := s.MessageID
		if id == "" { // the sandbox gave it one, in order of arrival
			id = deliveries[i].MessageID
		}
		kindOf[id] = s.Kind
	}
	for _, f := range forwards {
		g.Expect(f.To).To(Equal(wantTo[kindOf[f.MessageID]]), "mail %s (%s) forwarded to", f.MessageID, kindOf[f.MessageID])
		ended[f.MessageID] = append(ended[f.MessageID], f.At)
	}
	for _, e := range journal.Entries {
		if e.Document == nil || e.Document.Kind != sandbox.DocMail {
			continue
		}
		g.Expect(kindOf[e.Document.ID]).To(Equal(samples.CaseDocument), "journaled mail %s", e.Document.ID)
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
		g.Expect(slices.Contains([]samples.Kind{samples.TwoCases, samples.NoOpenCase, samples.Unplaced}, kindOf[it.Spec.Reference])).
			To(BeTrue(), "item %s (%s) handed to a person: %s", it.Name, kindOf[it.Spec.Reference], it.Status.Reason)
		g.Expect(it.Status.Reason).NotTo(BeEmpty())
		ended[it.Spec.Reference] = append(ended[it.Spec.Reference], it.Status.FinishTime.Time)
	}
	g.Expect(exceptions).To(Equal(len(sent) / 10))
	var latencies []time.Duration
	for id, at := range arrived {
		g.Expect(ended[id]).To(HaveLen(1), "mail %s (%s) ended once", id, kindOf[id])
		latencies = append(latencies, ended[id][0].Sub(at))
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	p := func(q float64) time.Duration { return latencies[int(q*float64(len(latencies)-1))].Round(time.Second) }
	t.Logf("%d mails: %d forwarded, %d journaled, %d to a person; arrival to destination p50 %s, p95 %s, max %s (bursts 2 and 3 include the kills)",
		len(arrived), len(forwards), len(arrived)-len(forwards)-exceptions, exceptions, p(0.5), p(0.95), p(1))
}
