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
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/server/itemsapi"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox"
)

// workItems is a client of the work-item API through kube-apiserver, as
// kubectl reaches it.
func workItems(t *testing.T) *rest.RESTClient {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", os.Getenv("KUBECONFIG"))
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	cfg.APIPath, cfg.GroupVersion = "/apis", &queuev1alpha1.SchemeGroupVersion
	cfg.NegotiatedSerializer = itemsapi.Codecs.WithoutConversion()
	c, err := rest.RESTClientFor(cfg)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return c
}

// listItems lists every item of the queue in ns.
func listItems(g Gomega, c *rest.RESTClient, ns, queue string) []queuev1alpha1.WorkItem {
	var all []queuev1alpha1.WorkItem
	next := ""
	for {
		list := &queuev1alpha1.WorkItemList{}
		req := c.Get().Namespace(ns).Resource("workitems").Param("fieldSelector", "spec.queue="+queue).Param("limit", "500")
		if next != "" {
			req = req.Param("continue", next)
		}
		g.Expect(req.Do(context.Background()).Into(list)).To(Succeed())
		all = append(all, list.Items...)
		if next = list.Continue; next == "" {
			return all
		}
	}
}

// activeTriggeredRuns counts the queue trigger's runs that have not ended.
func activeTriggeredRuns(g Gomega, ns string) []rpav1alpha1.RobotRun {
	var active []rpav1alpha1.RobotRun
	for _, run := range runsIn(g, ns) {
		if run.Spec.Trigger.Type == rpav1alpha1.TriggerQueue && !run.Status.Phase.Finished() {
			active = append(active, run)
		}
	}
	return active
}

// TestAQueueOf200CertificatesIsJournaledOnceThroughAKill: 200 items on a
// WorkQueue whose trigger runs certificate-journal 3 at a time; one robot
// container is SIGKILLed while it holds an item. Every certificate is
// journaled exactly once in ESDH's own records, the interrupted item is
// taken again (2 attempts), the flagged certificates wait for a person as
// business exceptions while their runs succeed, kubectl lists the items,
// and a person handles one with kubectl robot queue handle.
func TestAQueueOf200CertificatesIsJournaledOnceThroughAKill(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	const certificates = 200
	sb := deploySandbox(t, ns, map[string]string{
		"SANDBOX_CERTIFICATES": fmt.Sprint(certificates),
		// ESDH takes 8 entries a second: the robots wait for it, so a kill
		// lands while one holds an item.
		"SANDBOX_JOURNAL_RATE":  "8",
		"SANDBOX_JOURNAL_BURST": "2",
	})
	sampleRobot(t, ns, "certificate-journal", sb, func(r *rpav1alpha1.Robot) {
		r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow
		r.Spec.Retries.Limit = 2
	})
	wq := &rpav1alpha1.WorkQueue{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "certificates"},
		Spec: rpav1alpha1.WorkQueueSpec{
			UniqueReferences: true,
			MaxAttempts:      3,
			Trigger: &rpav1alpha1.WorkQueueTrigger{
				RobotName: "certificate-journal", MinItems: 1, MaxConcurrentRuns: 3, ItemsPerRun: 20,
			},
		},
	}
	g.Expect(k8sClient.Create(ctx, wq)).To(Succeed())

	// The mailbox's certificates become the queue's items, added as a
	// caseworker would, in bulk with kubectl robot queue add.
	var certs struct{ Certificates []sandbox.Certificate }
	sb.read(g, "/certificates", &certs)
	g.Expect(certs.Certificates).To(HaveLen(certificates))
	var lines strings.Builder
	for _, c := range certs.Certificates {
		line, err := json.Marshal(map[string]any{"reference": c.ID, "payload": map[string]string{"certificateId": c.ID}})
		g.Expect(err).NotTo(HaveOccurred())
		lines.Write(append(line, '\n'))
	}
	file := filepath.Join(t.TempDir(), "certificates.jsonl")
	g.Expect(os.WriteFile(file, []byte(lines.String()), 0o600)).To(Succeed())
	plugin := buildPlugin(t)
	out, errOut, code := runPlugin(t, plugin, "-n", ns, "queue", "add", "certificates", "-f", file)
	g.Expect(code).To(BeZero(), "queue add: %s %s", out, errOut)
	g.Expect(out + errOut).To(ContainSubstring(fmt.Sprintf("added %d", certificates)))

	// The trigger starts 3 runs and no more.
	g.Eventually(func(g Gomega) {
		g.Expect(activeTriggeredRuns(g, ns)).To(HaveLen(3))
	}, 2*time.Minute, poll).Should(Succeed())
	st := waitForState(t, sb, "some certificates journaled", func(s sandbox.State) bool { return s.Journaled >= 20 })
	g.Expect(st.Journaled).To(BeNumerically("<", certificates), "killed mid-queue")

	// SIGKILL a robot until one dies holding an item (it may be between
	// two): the item is taken again, a second attempt.
	items := workItems(t)
	retried := func(g Gomega) []queuev1alpha1.WorkItem {
		var out []queuev1alpha1.WorkItem
		for _, it := range listItems(g, items, ns, wq.Name) {
			if it.Status.Attempts > 1 {
				out = append(out, it)
			}
		}
		return out
	}
	for kill := 0; kill < 3 && len(retried(g)) == 0; kill++ {
		runs := activeTriggeredRuns(g, ns)
		g.Expect(runs).NotTo(BeEmpty())
		killRobotContainer(t, &runs[0], "SIGKILL")
		time.Sleep(10 * time.Second)
	}
	g.Eventually(retried, time.Minute, poll).ShouldNot(BeEmpty(), "an item held by the killed robot is taken again")

	// Every item ends: Done, or a business exception for a person.
	var final []queuev1alpha1.WorkItem
	g.Eventually(func(g Gomega) {
		final = listItems(g, items, ns, wq.Name)
		g.Expect(final).To(HaveLen(certificates))
		for _, it := range final {
			g.Expect(it.Status.State).To(BeElementOf("Done", "BusinessException"), "item %s (%s)", it.Name, it.Spec.Reference)
		}
	}, 6*time.Minute, poll).Should(Succeed())
	interrupted := retried(g)
	g.Expect(interrupted).NotTo(BeEmpty())
	for _, it := range final {
		g.Expect(it.Status.Attempts).To(BeNumerically("<=", 2), "item %s taken %d times", it.Spec.Reference, it.Status.Attempts)
	}

	// ESDH's own records: each certificate journaled exactly once, each
	// unclean one flagged for HR once.
	var journal struct{ Entries []sandbox.JournalEntry }
	sb.read(g, "/esdh/journal", &journal)
	perCertificate := countBy(journal.Entries, func(e sandbox.JournalEntry) string { return e.CertificateID })
	sb.read(g, "/certificates", &certs)
	var hr struct{ Tasks []sandbox.Task }
	sb.read(g, "/tasks?queue=hr", &hr)
	flags := countBy(hr.Tasks, func(t sandbox.Task) string { return t.Reference.ID })
	state := map[string]string{}
	for _, it := range final {
		state[it.Spec.Reference] = it.Status.State
	}
	exceptions := 0
	for _, c := range certs.Certificates {
		g.Expect(perCertificate[c.ID]).To(Equal(1), "%s journaled once", c.ID)
		if c.FlaggedForHR {
			exceptions++
			g.Expect(flags[c.ID]).To(Equal(1), "%s flagged for HR once", c.ID)
			g.Expect(state[c.ID]).To(Equal("BusinessException"), c.ID)
		} else {
			g.Expect(state[c.ID]).To(Equal("Done"), c.ID)
		}
	}
	g.Expect(exceptions).To(BeNumerically(">", 0), "the sandbox has certificates that are not clean")
	st = sb.state(g)
	g.Expect(st.Journaled).To(Equal(certificates))
	g.Expect(st.IdempotencyConflicts).To(BeZero())

	// A run that handled its items succeeded, business exceptions and all.
	g.Eventually(func(g Gomega) { g.Expect(activeTriggeredRuns(g, ns)).To(BeEmpty()) }, 2*time.Minute, poll).Should(Succeed())
	succeeded := 0
	for _, run := range runsIn(g, ns) {
		if run.Status.Phase == rpav1alpha1.PhaseSucceeded {
			succeeded++
		}
	}
	g.Expect(succeeded).To(BeNumerically(">=", 3))

	// kubectl lists the exceptions; a person handles one.
	table := kubectl(t, "-n", ns, "get", "workitems", "--field-selector", "status.state=BusinessException")
	g.Expect(strings.Count(table, "BusinessException")).To(Equal(exceptions), table)
	var exception queuev1alpha1.WorkItem
	for _, it := range final {
		if it.Status.State == "BusinessException" {
			exception = it
			break
		}
	}
	out, errOut, code = runPlugin(t, plugin, "-n", ns, "queue", "handle", exception.Name, "--comment", "HR called the applicant")
	g.Expect(code).To(BeZero(), "queue handle: %s %s", out, errOut)
	handled := &queuev1alpha1.WorkItem{}
	g.Expect(items.Get().Namespace(ns).Resource("workitems").Name(exception.Name).Do(ctx).Into(handled)).To(Succeed())
	g.Expect(handled.Status.State).To(Equal("Handled"))
	g.Expect(handled.Status.Reason).To(Equal("HR called the applicant"))
	t.Logf("journaled %d, business exceptions %d, taken twice %d, ESDH refusals (429) %d, runs %d",
		st.Journaled, exceptions, len(interrupted), st.Rejected429, len(runsIn(g, ns)))
}

// TestANamespaceWithWorkItemsIsDeleted: deleting a department's namespace
// deletes its work items too and the namespace goes. kube-controller-
// manager's namespace controller asks rpa-server for protobuf first;
// rpa-server answers JSON, which it falls back to.
func TestANamespaceWithWorkItemsIsDeleted(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "e2e-deleted-"}}
	g.Expect(k8sClient.Create(ctx, ns)).To(Succeed())
	wq := &rpav1alpha1.WorkQueue{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "letters"}}
	g.Expect(k8sClient.Create(ctx, wq)).To(Succeed())
	c := workItems(t)
	body := []byte(`{"apiVersion":"queue.rpa.dev/v1alpha1","kind":"WorkItem","spec":{"queue":"letters","reference":"2026-1","payload":{}}}`)
	g.Eventually(func() error {
		return c.Post().Namespace(ns.Name).Resource("workitems").Body(body).Do(ctx).Error()
	}, time.Minute, poll).Should(Succeed())
	g.Expect(k8sClient.Delete(ctx, ns)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(ns), &corev1.Namespace{}))
	}, 2*time.Minute, time.Second).Should(BeTrue(), "namespace %s is gone", ns.Name)
}
